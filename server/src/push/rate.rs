//! The per-token rate limit on pushes: a fixed one-second window counted in Redis
//! (so it holds across instances) or in memory in one process.

use app::model::PushTokenId;
use redis::aio::ConnectionManager;
use std::collections::HashMap;
use std::sync::Mutex;

pub enum RateLimiter {
    Local {
        per_sec: u32,
        windows: Mutex<HashMap<PushTokenId, (i64, u32)>>,
    },
    Redis {
        per_sec: u32,
        conn: ConnectionManager,
    },
}

impl RateLimiter {
    pub fn local(per_sec: u32) -> Self {
        Self::Local {
            per_sec,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one request of `token`; `Err(ms)` if over the limit, with the time to
    /// wait. If Redis cannot be reached the request is let through (and logged): the
    /// limit protects the server, it must not take pushing down with Redis.
    pub async fn check(&self, token: &PushTokenId) -> Result<(), u64> {
        let now = crate::now_ms();
        let second = now / 1000;
        let wait = (1000 - now % 1000) as u64;
        match self {
            RateLimiter::Local { per_sec, windows } => {
                let mut windows = windows.lock().expect("rate windows");
                if windows.len() > 100_000 {
                    windows.retain(|_, (s, _)| *s == second);
                }
                let (window, count) = windows.entry(token.clone()).or_insert((second, 0));
                if *window != second {
                    *window = second;
                    *count = 0;
                }
                *count += 1;
                if *count > *per_sec {
                    Err(wait)
                } else {
                    Ok(())
                }
            }
            RateLimiter::Redis { per_sec, conn } => {
                let mut conn = conn.clone();
                let key = format!("wb:rate:{token}:{second}");
                let result: redis::RedisResult<(u32,)> = redis::pipe()
                    .cmd("INCR")
                    .arg(&key)
                    .cmd("PEXPIRE")
                    .arg(&key)
                    .arg(2000)
                    .ignore()
                    .query_async(&mut conn)
                    .await;
                match result {
                    Ok((count,)) if count > *per_sec => Err(wait),
                    Ok(_) => Ok(()),
                    Err(err) => {
                        tracing::warn!(error = %err, "rate limit not checked: Redis failed");
                        Ok(())
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_local_limit_counts_per_token() {
        let limiter = RateLimiter::local(3);
        let a = PushTokenId::parse("a").unwrap();
        let b = PushTokenId::parse("b").unwrap();
        // Stay inside one window: wait for the start of a second if it is about to end.
        if crate::now_ms() % 1000 > 900 {
            tokio::time::sleep(std::time::Duration::from_millis(120)).await;
        }
        for _ in 0..3 {
            assert!(limiter.check(&a).await.is_ok());
        }
        let wait = limiter.check(&a).await.unwrap_err();
        assert!(wait <= 1000);
        assert!(
            limiter.check(&b).await.is_ok(),
            "another token has its own limit"
        );
    }
}
