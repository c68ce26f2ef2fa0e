//! Reading SQL sources: PostgreSQL, MySQL/MariaDB and SQLite through sqlx.
//!
//! Each read opens one connection (to the address the outbound guard allowed, so a
//! name cannot resolve elsewhere afterwards), runs the query in a read-only
//! transaction under a statement timeout, reads at most `max_rows` rows and at most
//! `max_bytes` of column names and values, and maps each column's type to a JSON value:
//! integers, decimals and floats to numbers, text, booleans, dates (`2024-03-01`),
//! timestamps (`2024-03-01T12:00:00`, or with a zone normalised to UTC `…Z`), JSON as
//! JSON, NULL as null. A type it cannot read is an error naming the column and saying
//! how to cast it.
//!
//! A source runs exactly one statement, and only reads, on every driver:
//! - PostgreSQL: the query goes through the extended protocol (a prepared statement,
//!   which the server refuses to hold two commands in) inside a transaction set
//!   `READ ONLY`. The database role is the real boundary: give Wallboard one that can
//!   only SELECT.
//! - MySQL/MariaDB: the session is set `TRANSACTION READ ONLY` and the query runs in a
//!   `START TRANSACTION READ ONLY`, so even a statement that commits implicitly (DDL)
//!   finds the next transaction read-only. sqlx announces CLIENT_MULTI_STATEMENTS, but
//!   `sqlx::query` always prepares (COM_STMT_PREPARE), which holds one statement only;
//!   nothing here uses the text protocol (`raw_sql`) for the source's query.
//! - SQLite: files only from the directories in `WALLBOARD_SQLITE_DIRS`, opened
//!   read-only, and locked down by SQLite itself (`sqlite_lockdown`).

use super::outbound::Guard;
use app::model::{Credential, SqlDriver, SqlSource};
use app::pipeline::batch::{Batch, Column};
use futures::TryStreamExt;
use serde_json::{Number, Value};
use sqlx::{Column as _, ConnectOptions, Connection, Row as _, TypeInfo, ValueRef};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// What a SQL read may touch beyond the network guard.
#[derive(Debug, Clone, Default)]
pub struct SqlPolicy {
    /// Directories SQLite sources may read from (resolved, symlinks followed).
    pub sqlite_dirs: Vec<PathBuf>,
    /// Wallboard's own SQLite database, never readable as a source.
    pub own_database: Option<PathBuf>,
}

impl SqlPolicy {
    /// Parses `WALLBOARD_SQLITE_DIRS` (comma-separated directories).
    pub fn parse(dirs: &str) -> Self {
        Self {
            sqlite_dirs: dirs
                .split(',')
                .map(str::trim)
                .filter(|d| !d.is_empty())
                .map(PathBuf::from)
                .collect(),
            own_database: None,
        }
    }

    /// The file a SQLite source names, if the operator allows it.
    fn sqlite_file(&self, path: &str) -> Result<PathBuf, String> {
        if self.sqlite_dirs.is_empty() {
            return Err(
                "SQLite sources are off: the operator lists the directories they \
                        may read in WALLBOARD_SQLITE_DIRS"
                    .into(),
            );
        }
        let file = Path::new(path.trim())
            .canonicalize()
            .map_err(|_| format!("the SQLite file '{}' does not exist", path.trim()))?;
        if let Some(own) = self
            .own_database
            .as_ref()
            .and_then(|p| p.canonicalize().ok())
        {
            if own == file {
                return Err("Wallboard's own database cannot be a source".into());
            }
        }
        let inside = self
            .sqlite_dirs
            .iter()
            .filter_map(|d| d.canonicalize().ok())
            .any(|dir| file.starts_with(dir));
        if !inside {
            return Err(format!(
                "'{}' is outside the directories WALLBOARD_SQLITE_DIRS allows",
                path.trim()
            ));
        }
        Ok(file)
    }
}

/// Runs the source's query; `source`'s password must be opened already.
#[tracing::instrument(skip_all, fields(driver = ?source.driver, host = %source.host))]
pub async fn read(
    source: &SqlSource,
    guard: &Guard,
    policy: &SqlPolicy,
    max_bytes: usize,
) -> Result<Batch, String> {
    let (query, params) = source.bound_query()?;
    let answer = || Answer::new(source.max_rows, max_bytes);
    let timeout = Duration::from_millis(u64::from(source.timeout_ms));
    // The statement timeout runs on the server; this bounds connecting and reading too.
    let budget = timeout * 2 + Duration::from_secs(5);
    let work = async {
        match source.driver {
            SqlDriver::Postgres => {
                postgres(source, guard, &query, &params, timeout, answer()).await
            }
            SqlDriver::Mysql => mysql(source, guard, &query, &params, timeout, answer()).await,
            SqlDriver::Sqlite => sqlite(source, policy, &query, &params, timeout, answer()).await,
        }
    };
    tokio::time::timeout(budget, work).await.map_err(|_| {
        format!(
            "the database did not answer within {} ms",
            budget.as_millis()
        )
    })?
}

/// The first address of `host` the guard allows (the refusal if none is).
async fn resolve(source: &SqlSource, guard: &Guard) -> Result<SocketAddr, String> {
    let host = source.host.trim();
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, source.port()))
        .await
        .map_err(|_| format!("the database host '{host}' cannot be resolved"))?
        .collect();
    let mut refusal = None;
    for addr in addrs {
        match guard.check_addr(host, addr) {
            Ok(()) => return Ok(addr),
            Err(why) => refusal = Some(why),
        }
    }
    Err(refusal.unwrap_or_else(|| format!("the database host '{host}' has no address")))
}

fn password(source: &SqlSource) -> Result<&str, String> {
    match &source.password {
        None => Ok(""),
        Some(Credential::Plain(p)) => Ok(p),
        Some(Credential::Sealed { .. }) => Err("the password is still sealed".into()),
    }
}

fn db_error(err: sqlx::Error) -> String {
    match err {
        sqlx::Error::Database(e) => format!("the database refused the query: {}", e.message()),
        sqlx::Error::Io(_) => "the database cannot be reached".into(),
        sqlx::Error::Tls(_) => "the TLS connection to the database failed".into(),
        sqlx::Error::PoolTimedOut => "the database did not answer in time".into(),
        sqlx::Error::ColumnDecode { index, source } => {
            format!("column {index} cannot be read: {source}")
        }
        other => format!("the database failed: {other}"),
    }
}

/// The query's answer as it is read, straight into columns (no row maps, no key per
/// cell), within the source's row cap and a cap on bytes (column names and values,
/// counted as they are read): the operator's `WALLBOARD_PIPELINE_MAX_BYTES`, the most a
/// dataset may hold.
struct Answer {
    names: Vec<String>,
    columns: Vec<Column>,
    rows: usize,
    max_rows: u32,
    bytes: usize,
    max_bytes: usize,
}

impl Answer {
    fn new(max_rows: u32, max_bytes: usize) -> Self {
        Self {
            names: Vec::new(),
            columns: Vec::new(),
            rows: 0,
            max_rows,
            bytes: 0,
            max_bytes,
        }
    }

    /// Reads one more row into the columns (each cell by `value`, as the driver types
    /// it), or says which cap it passes.
    fn take<R: sqlx::Row>(
        &mut self,
        row: &R,
        value: impl Fn(&R, usize) -> Result<Value, String>,
    ) -> Result<(), String> {
        if self.rows == self.max_rows as usize {
            return Err(format!(
                "the query returns more than {} rows; add a LIMIT or raise the row cap",
                self.max_rows
            ));
        }
        if self.rows == 0 {
            self.names = row.columns().iter().map(|c| c.name().to_string()).collect();
            self.columns = self
                .names
                .iter()
                .map(|_| Column::with_capacity(64))
                .collect();
        }
        self.rows += 1;
        for (i, (name, column)) in self.names.iter().zip(&mut self.columns).enumerate() {
            let value = value(row, i)?;
            self.bytes += name.len() + value_bytes(&value);
            column.push_value(value);
        }
        if self.bytes > self.max_bytes {
            return Err(format!(
                "the query returns more than {} of data (rows 1 to {} already hold it); \
                 select fewer columns or rows, or raise WALLBOARD_PIPELINE_MAX_BYTES",
                size(self.max_bytes),
                self.rows
            ));
        }
        Ok(())
    }

    /// The rows read, as a batch (a name the query repeats keeps its last column).
    fn finish(self) -> Batch {
        Batch::from_columns(self.names.into_iter().zip(self.columns).collect())
    }
}

/// The bytes a value holds: text by its length, a scalar as 8, JSON by its parts.
fn value_bytes(value: &Value) -> usize {
    match value {
        Value::Null | Value::Bool(_) | Value::Number(_) => 8,
        Value::String(s) => s.len(),
        Value::Array(items) => 8 + items.iter().map(value_bytes).sum::<usize>(),
        Value::Object(fields) => {
            8 + fields
                .iter()
                .map(|(k, v)| k.len() + value_bytes(v))
                .sum::<usize>()
        }
    }
}

/// `8 MiB`, `512 KiB` or `1000 bytes`.
fn size(bytes: usize) -> String {
    if bytes >= 1 << 20 && bytes.is_multiple_of(1 << 20) {
        format!("{} MiB", bytes >> 20)
    } else if bytes >= 1 << 10 && bytes.is_multiple_of(1 << 10) {
        format!("{} KiB", bytes >> 10)
    } else {
        format!("{bytes} bytes")
    }
}

macro_rules! bind_all {
    ($query:expr, $params:expr) => {{
        let mut q = $query;
        for value in $params {
            q = match value {
                Value::Null => q.bind(None::<String>),
                Value::Bool(b) => q.bind(*b),
                Value::Number(n) => match n.as_i64() {
                    Some(i) => q.bind(i),
                    None => q.bind(n.as_f64().unwrap_or(f64::NAN)),
                },
                Value::String(s) => q.bind(s.clone()),
                _ => return Err("a parameter is a number, text, true/false or null".into()),
            };
        }
        q
    }};
}

async fn postgres(
    source: &SqlSource,
    guard: &Guard,
    query: &str,
    params: &[Value],
    timeout: Duration,
    mut answer: Answer,
) -> Result<Batch, String> {
    use sqlx::postgres::{PgConnectOptions, PgSslMode};
    let addr = resolve(source, guard).await?;
    let options = PgConnectOptions::new()
        .host(&addr.ip().to_string())
        .port(addr.port())
        .database(source.database.trim())
        .username(&source.user)
        .application_name("wallboard")
        .ssl_mode(if source.require_tls {
            PgSslMode::Require
        } else {
            PgSslMode::Prefer
        })
        .statement_cache_capacity(0)
        .disable_statement_logging();
    let options = match password(source)? {
        "" => options,
        p => options.password(p),
    };
    let mut conn = options.connect().await.map_err(db_error)?;
    let mut tx = conn.begin().await.map_err(db_error)?;
    sqlx::query("SET TRANSACTION READ ONLY")
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
    sqlx::query(&format!(
        "SET LOCAL statement_timeout = {}",
        timeout.as_millis()
    ))
    .execute(&mut *tx)
    .await
    .map_err(db_error)?;
    // `sqlx::query` runs as a prepared statement: one command only.
    let q = bind_all!(sqlx::query(query), params);
    let mut stream = q.fetch(&mut *tx);
    while let Some(row) = stream.try_next().await.map_err(pg_error)? {
        answer.take(&row, pg_value)?;
    }
    drop(stream);
    tx.rollback().await.map_err(db_error)?;
    conn.close().await.ok();
    Ok(answer.finish())
}

/// PostgreSQL's refusal of a second command, said plainly.
fn pg_error(err: sqlx::Error) -> String {
    if let sqlx::Error::Database(e) = &err {
        if e.message().contains("multiple commands") {
            return "the database refused the query: it holds more than one statement;                     a source runs a single query, so remove what follows the first ';'"
                .into();
        }
    }
    db_error(err)
}

/// Cell `i` of `row`, read by `cell` by the column's declared type (null as null).
fn typed_value<R>(
    row: &R,
    i: usize,
    cell: fn(&R, usize, &str) -> Result<Value, Option<sqlx::Error>>,
) -> Result<Value, String>
where
    R: sqlx::Row,
    usize: sqlx::ColumnIndex<R>,
{
    if row.try_get_raw(i).map_err(db_error)?.is_null() {
        return Ok(Value::Null);
    }
    let column = &row.columns()[i];
    let ty = column.type_info().name().to_string();
    cell(row, i, &ty).map_err(|e| unreadable(column.name(), &ty, e))
}

fn pg_value(row: &sqlx::postgres::PgRow, i: usize) -> Result<Value, String> {
    typed_value(row, i, pg_cell)
}

fn unreadable(column: &str, ty: &str, why: Option<sqlx::Error>) -> String {
    match why {
        Some(e) => format!("column '{column}' ({ty}) cannot be read: {e}"),
        None => format!(
            "column '{column}' has type {ty}, which Wallboard does not read; \
             cast it to text or a number in the query"
        ),
    }
}

fn pg_cell(row: &sqlx::postgres::PgRow, i: usize, ty: &str) -> Result<Value, Option<sqlx::Error>> {
    use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
    Ok(match ty {
        "BOOL" => Value::Bool(row.try_get(i)?),
        "INT2" => int(row.try_get::<i16, _>(i)?.into()),
        "INT4" => int(row.try_get::<i32, _>(i)?.into()),
        "INT8" => int(row.try_get::<i64, _>(i)?),
        "FLOAT4" => float(row.try_get::<f32, _>(i)?.into()),
        "FLOAT8" => float(row.try_get::<f64, _>(i)?),
        "NUMERIC" => decimal(&row.try_get::<bigdecimal::BigDecimal, _>(i)?),
        "TEXT" | "VARCHAR" | "BPCHAR" | "NAME" | "CITEXT" | "CHAR" | "UNKNOWN" => {
            Value::String(row.try_get(i)?)
        }
        "DATE" => date(row.try_get::<NaiveDate, _>(i)?),
        "TIMESTAMP" => naive(row.try_get::<NaiveDateTime, _>(i)?),
        "TIMESTAMPTZ" => utc(row.try_get::<DateTime<Utc>, _>(i)?),
        "TIME" => Value::String(
            row.try_get::<NaiveTime, _>(i)?
                .format("%H:%M:%S")
                .to_string(),
        ),
        "JSON" | "JSONB" => row.try_get::<Value, _>(i)?,
        "UUID" => Value::String(row.try_get::<uuid::Uuid, _>(i)?.to_string()),
        _ => return Err(None),
    })
}

async fn mysql(
    source: &SqlSource,
    guard: &Guard,
    query: &str,
    params: &[Value],
    timeout: Duration,
    mut answer: Answer,
) -> Result<Batch, String> {
    use sqlx::mysql::{MySqlConnectOptions, MySqlSslMode};
    let addr = resolve(source, guard).await?;
    let options = MySqlConnectOptions::new()
        .host(&addr.ip().to_string())
        .port(addr.port())
        .database(source.database.trim())
        .username(&source.user)
        .ssl_mode(if source.require_tls {
            MySqlSslMode::Required
        } else {
            MySqlSslMode::Preferred
        })
        .statement_cache_capacity(0)
        .timezone(Some("+00:00".into()))
        .disable_statement_logging();
    let options = match password(source)? {
        "" => options,
        p => options.password(p),
    };
    let mut conn = options.connect().await.map_err(db_error)?;
    let version: String = sqlx::query_scalar("SELECT VERSION()")
        .fetch_one(&mut conn)
        .await
        .map_err(db_error)?;
    // MariaDB bounds statements in seconds, MySQL in milliseconds (SELECTs only).
    let limit = if version.contains("MariaDB") {
        format!("SET SESSION max_statement_time = {}", timeout.as_secs_f64())
    } else {
        format!("SET SESSION MAX_EXECUTION_TIME = {}", timeout.as_millis())
    };
    sqlx::query(&limit)
        .execute(&mut conn)
        .await
        .map_err(db_error)?;
    // The session first, so a statement that commits implicitly (DDL) finds the next
    // transaction read-only too.
    for statement in [
        "SET SESSION TRANSACTION READ ONLY",
        "START TRANSACTION READ ONLY",
    ] {
        sqlx::query(statement)
            .execute(&mut conn)
            .await
            .map_err(db_error)?;
    }
    {
        // `sqlx::query` always prepares (COM_STMT_PREPARE): one statement only.
        let q = bind_all!(sqlx::query(query), params);
        let mut stream = q.fetch(&mut conn);
        while let Some(row) = stream.try_next().await.map_err(|e| mysql_error(e, query))? {
            answer.take(&row, mysql_value)?;
        }
    }
    sqlx::query("ROLLBACK").execute(&mut conn).await.ok();
    conn.close().await.ok();
    Ok(answer.finish())
}

/// MySQL answers several statements in a prepared one with a syntax error; when the
/// query holds a `;` before its end, the message says why.
fn mysql_error(err: sqlx::Error, query: &str) -> String {
    let several = query.trim().trim_end_matches(';').contains(';');
    let syntax = matches!(&err, sqlx::Error::Database(e) if e.code().as_deref() == Some("42000"));
    let message = db_error(err);
    if several && syntax {
        format!(
            "{message} (a source runs a single statement: several separated by ';' are refused)"
        )
    } else {
        message
    }
}

fn mysql_value(row: &sqlx::mysql::MySqlRow, i: usize) -> Result<Value, String> {
    typed_value(row, i, mysql_cell)
}

fn mysql_cell(
    row: &sqlx::mysql::MySqlRow,
    i: usize,
    ty: &str,
) -> Result<Value, Option<sqlx::Error>> {
    use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
    Ok(match ty {
        "BOOLEAN" => Value::Bool(row.try_get(i)?),
        "TINYINT" | "SMALLINT" | "MEDIUMINT" | "INT" | "BIGINT" | "YEAR" => {
            int(row.try_get::<i64, _>(i)?)
        }
        t if t.ends_with(" UNSIGNED") => Value::Number(row.try_get::<u64, _>(i)?.into()),
        "FLOAT" => float(row.try_get::<f32, _>(i)?.into()),
        "DOUBLE" => float(row.try_get::<f64, _>(i)?),
        "DECIMAL" => decimal(&row.try_get::<bigdecimal::BigDecimal, _>(i)?),
        "VARCHAR" | "CHAR" | "TEXT" | "TINYTEXT" | "MEDIUMTEXT" | "LONGTEXT" | "ENUM" | "SET" => {
            Value::String(row.try_get(i)?)
        }
        "JSON" => row.try_get::<Value, _>(i)?,
        "DATE" => date(row.try_get::<NaiveDate, _>(i)?),
        "DATETIME" => naive(row.try_get::<NaiveDateTime, _>(i)?),
        "TIMESTAMP" => utc(row.try_get::<DateTime<Utc>, _>(i)?),
        "TIME" => Value::String(
            row.try_get::<chrono::NaiveTime, _>(i)?
                .format("%H:%M:%S")
                .to_string(),
        ),
        _ => return Err(None),
    })
}

async fn sqlite(
    source: &SqlSource,
    policy: &SqlPolicy,
    query: &str,
    params: &[Value],
    timeout: Duration,
    mut answer: Answer,
) -> Result<Batch, String> {
    use sqlx::sqlite::SqliteConnectOptions;
    let file = policy.sqlite_file(&source.database)?;
    let options = SqliteConnectOptions::new()
        .filename(&file)
        .read_only(true)
        .create_if_missing(false)
        .pragma("query_only", "ON")
        .statement_cache_capacity(0)
        .disable_statement_logging();
    let mut conn = options.connect().await.map_err(db_error)?;
    let deadline = Instant::now() + timeout;
    {
        let mut handle = conn.lock_handle().await.map_err(db_error)?;
        // SAFETY: the locked handle is this task's alone until it is dropped, and the
        // connection outlives the authorizer (it is installed on the connection itself).
        unsafe { super::sqlite_lockdown::lock_down(handle.as_raw_handle(), query)? };
        handle.set_progress_handler(10_000, move || Instant::now() < deadline);
    }
    {
        let q = bind_all!(sqlx::query(query), params);
        let mut stream = q.fetch(&mut conn);
        loop {
            match stream.try_next().await {
                Ok(Some(row)) => answer.take(&row, sqlite_value)?,
                Ok(None) => break,
                Err(_) if Instant::now() >= deadline => {
                    return Err(format!(
                        "the query ran longer than {} ms and was stopped",
                        timeout.as_millis()
                    ))
                }
                Err(sqlx::Error::Database(e)) if super::sqlite_lockdown::is_denial(e.message()) => {
                    return Err(super::sqlite_lockdown::refusal(
                        "an operation other than reading",
                    ))
                }
                Err(e) => return Err(db_error(e)),
            }
        }
    }
    conn.close().await.ok();
    Ok(answer.finish())
}

fn sqlite_value(row: &sqlx::sqlite::SqliteRow, i: usize) -> Result<Value, String> {
    let column = &row.columns()[i];
    let raw = row.try_get_raw(i).map_err(db_error)?;
    // SQLite types values, not columns: read what this cell holds.
    let held = if raw.is_null() {
        "NULL".to_string()
    } else {
        raw.type_info().name().to_string()
    };
    let declared = column.type_info().name().to_ascii_uppercase();
    Ok(match held.as_str() {
        "NULL" => Value::Null,
        "INTEGER" if declared == "BOOLEAN" => {
            Value::Bool(row.try_get::<i64, _>(i).map_err(db_error)? != 0)
        }
        "INTEGER" => int(row.try_get::<i64, _>(i).map_err(db_error)?),
        "REAL" => float(row.try_get::<f64, _>(i).map_err(db_error)?),
        "TEXT" => Value::String(row.try_get(i).map_err(db_error)?),
        other => return Err(unreadable(column.name(), other, None)),
    })
}

fn int(i: i64) -> Value {
    Value::Number(i.into())
}

fn float(f: f64) -> Value {
    Number::from_f64(f).map_or(Value::Null, Value::Number)
}

fn decimal(d: &bigdecimal::BigDecimal) -> Value {
    match d.to_string().parse::<f64>() {
        Ok(f) if f.is_finite() => float(f),
        _ => Value::String(d.to_string()),
    }
}

fn date(d: chrono::NaiveDate) -> Value {
    Value::String(d.format("%Y-%m-%d").to_string())
}

fn naive(t: chrono::NaiveDateTime) -> Value {
    Value::String(t.format("%Y-%m-%dT%H:%M:%S%.f").to_string())
}

fn utc(t: chrono::DateTime<chrono::Utc>) -> Value {
    Value::String(t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
}
