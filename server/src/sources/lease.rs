//! Polling leases: which instance refreshes a dataset. With Redis a lease is a key
//! holding the holder's instance id, taken with `SET NX PX` and renewed or released
//! only by its holder (compare-and-expire, compare-and-delete, each one Lua script).
//! When the holder dies its lease expires and the next instance that tries takes it.
//! In one process there is nobody to share with: the lease is always ours.

use redis::aio::ConnectionManager;
use std::time::Duration;

/// What trying to hold a lease found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hold {
    /// We did not hold it and now do.
    Acquired,
    /// We held it and still do (its time is renewed).
    Kept,
    /// Another instance holds it.
    Elsewhere,
}

pub enum Leases {
    Local,
    Redis {
        conn: ConnectionManager,
        /// This instance's id, the value of every lease it holds.
        holder: String,
    },
}

const HOLD: &str = r#"
local held = redis.call('GET', KEYS[1])
if held == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
elseif not held then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 2
end
return 0
"#;

const RELEASE: &str = r#"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"#;

fn key(name: &str) -> String {
    format!("wb:lease:{name}")
}

impl Leases {
    /// Takes or renews the lease `name` for `ttl`.
    pub async fn hold(&self, name: &str, ttl: Duration) -> redis::RedisResult<Hold> {
        match self {
            Leases::Local => Ok(Hold::Kept),
            Leases::Redis { conn, holder } => {
                let mut conn = conn.clone();
                let answer: i64 = redis::Script::new(HOLD)
                    .key(key(name))
                    .arg(holder)
                    .arg(ttl.as_millis().max(1) as u64)
                    .invoke_async(&mut conn)
                    .await?;
                Ok(match answer {
                    2 => Hold::Acquired,
                    1 => Hold::Kept,
                    _ => Hold::Elsewhere,
                })
            }
        }
    }

    /// Gives the lease `name` up, if we hold it, so another instance can take it at once.
    pub async fn release(&self, name: &str) {
        if let Leases::Redis { conn, holder } = self {
            let mut conn = conn.clone();
            let result: redis::RedisResult<i64> = redis::Script::new(RELEASE)
                .key(key(name))
                .arg(holder)
                .invoke_async(&mut conn)
                .await;
            if let Err(err) = result {
                tracing::warn!(lease = name, error = %err, "could not release a lease");
            }
        }
    }
}
