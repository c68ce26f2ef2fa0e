//! Rate limits in fixed windows, counted in Redis (so a limit holds across instances)
//! or in memory in one process: pushes per token per second, sign-in attempts per
//! account and per client address.

use redis::aio::ConnectionManager;
use std::collections::HashMap;
use std::sync::Mutex;

pub enum RateLimiter {
    Local {
        /// Per key: the window's number and the count in it.
        windows: Mutex<HashMap<String, (i64, u32)>>,
    },
    Redis {
        conn: ConnectionManager,
    },
}

impl RateLimiter {
    pub fn local() -> Self {
        Self::Local {
            windows: Mutex::new(HashMap::new()),
        }
    }

    pub fn redis(conn: ConnectionManager) -> Self {
        Self::Redis { conn }
    }

    /// Counts one request under `key`, at most `limit` per window of `window_secs`;
    /// `Err(ms)` if over the limit, with the time until the window ends. If Redis cannot
    /// be reached the request is let through (and logged): a limit protects the server,
    /// it must not take it down with Redis.
    pub async fn hit(&self, key: &str, limit: u32, window_secs: i64) -> Result<(), u64> {
        let window_ms = window_secs.max(1) * 1000;
        let now = crate::now_ms();
        let window = now / window_ms;
        let wait = (window_ms - now % window_ms) as u64;
        match self {
            RateLimiter::Local { windows } => {
                let mut windows = windows.lock().expect("rate windows");
                if windows.len() > 100_000 {
                    windows.retain(|_, (w, _)| *w == window);
                }
                let (current, count) = windows.entry(key.to_string()).or_insert((window, 0));
                if *current != window {
                    *current = window;
                    *count = 0;
                }
                *count += 1;
                if *count > limit {
                    Err(wait)
                } else {
                    Ok(())
                }
            }
            RateLimiter::Redis { conn } => {
                let mut conn = conn.clone();
                let key = format!("wb:rate:{key}:{window}");
                let result: redis::RedisResult<(u32,)> = redis::pipe()
                    .cmd("INCR")
                    .arg(&key)
                    .cmd("PEXPIRE")
                    .arg(&key)
                    .arg(window_ms + 1000)
                    .ignore()
                    .query_async(&mut conn)
                    .await;
                match result {
                    Ok((count,)) if count > limit => Err(wait),
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
    async fn the_local_limit_counts_per_key() {
        let limiter = RateLimiter::local();
        // Stay inside one window: wait for the start of a second if it is about to end.
        if crate::now_ms() % 1000 > 900 {
            tokio::time::sleep(std::time::Duration::from_millis(120)).await;
        }
        for _ in 0..3 {
            assert!(limiter.hit("a", 3, 1).await.is_ok());
        }
        let wait = limiter.hit("a", 3, 1).await.unwrap_err();
        assert!(wait <= 1000);
        assert!(
            limiter.hit("b", 3, 1).await.is_ok(),
            "another key has its own limit"
        );
    }
}
