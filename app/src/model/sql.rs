//! SQL sources: a PostgreSQL, MySQL/MariaDB or SQLite database and one query with
//! named parameters (`:region`), run read-only with a statement timeout and a row cap.

use super::{Credential, Invalid};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SqlDriver {
    Postgres,
    /// MySQL or MariaDB.
    Mysql,
    /// A database file on the server, in a directory the operator allows.
    Sqlite,
}

impl SqlDriver {
    pub fn default_port(self) -> u16 {
        match self {
            SqlDriver::Postgres => 5432,
            SqlDriver::Mysql => 3306,
            SqlDriver::Sqlite => 0,
        }
    }
}

/// A named parameter's value, bound (never spliced) into the query.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SqlParam {
    pub name: String,
    pub value: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SqlSource {
    pub driver: SqlDriver,
    /// Host name or address (network drivers).
    #[serde(default)]
    pub host: String,
    #[serde(default)]
    pub port: Option<u16>,
    /// The database name, or for SQLite the file's path.
    pub database: String,
    #[serde(default)]
    pub user: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<Credential>,
    /// Require TLS (network drivers); otherwise TLS is used when the server offers it.
    #[serde(default)]
    pub require_tls: bool,
    pub query: String,
    #[serde(default)]
    pub params: Vec<SqlParam>,
    /// The statement timeout, in milliseconds (100 to 60,000).
    #[serde(default = "default_timeout")]
    pub timeout_ms: u32,
    /// Most rows read; a query returning more is an error that says so.
    #[serde(default = "default_max_rows")]
    pub max_rows: u32,
}

fn default_timeout() -> u32 {
    5_000
}

fn default_max_rows() -> u32 {
    10_000
}

impl SqlSource {
    /// The longest query text, checked before the text is scanned or sent anywhere.
    pub const MAX_QUERY_CHARS: usize = 20_000;

    pub fn port(&self) -> u16 {
        self.port.unwrap_or(self.driver.default_port())
    }

    /// "postgres db.example.com/sales": no user, no password.
    pub fn short_name(&self) -> String {
        match self.driver {
            SqlDriver::Sqlite => format!("sqlite {}", self.database),
            SqlDriver::Postgres => format!("postgres {}/{}", self.host, self.database),
            SqlDriver::Mysql => format!("mysql {}/{}", self.host, self.database),
        }
    }

    pub fn validate(&self) -> Result<(), Invalid> {
        if self.driver != SqlDriver::Sqlite {
            let host = self.host.trim();
            if host.is_empty() || host.len() > 253 || host.contains(['/', ' ', '@', '?']) {
                return Err(Invalid::new("host", "a host name or address is required"));
            }
            if self.port == Some(0) {
                return Err(Invalid::new("port", "a port is 1 to 65535"));
            }
        }
        if self.database.trim().is_empty() || self.database.len() > 1024 {
            return Err(Invalid::new(
                "database",
                match self.driver {
                    SqlDriver::Sqlite => "the database file's path is required",
                    _ => "the database name is required",
                },
            ));
        }
        let query = self.query.trim();
        if query.is_empty() {
            return Err(Invalid::new("query", "the query is empty"));
        }
        check_length(query).map_err(|e| Invalid::new("query", e))?;
        let named = named_parameters(query, self.driver).map_err(|e| Invalid::new("query", e))?;
        for name in &named {
            if !self.params.iter().any(|p| &p.name == name) {
                return Err(Invalid::new(
                    "params",
                    format!("the query uses :{name}, which has no value"),
                ));
            }
        }
        for (i, p) in self.params.iter().enumerate() {
            if !matches!(
                p.value,
                serde_json::Value::Null
                    | serde_json::Value::Bool(_)
                    | serde_json::Value::Number(_)
                    | serde_json::Value::String(_)
            ) {
                return Err(Invalid::new(
                    format!("params[{i}].value"),
                    "a parameter is a number, text, true/false or null",
                ));
            }
        }
        if !(100..=60_000).contains(&self.timeout_ms) {
            return Err(Invalid::new(
                "timeout_ms",
                "the timeout must be 100 to 60,000 ms",
            ));
        }
        if self.max_rows == 0 || self.max_rows as usize > super::MAX_ROWS {
            return Err(Invalid::new(
                "max_rows",
                format!("read 1 to {} rows", super::MAX_ROWS),
            ));
        }
        Ok(())
    }

    /// The query with each `:name` replaced by the driver's placeholder, and the
    /// parameters' values in placeholder order.
    pub fn bound_query(&self) -> Result<(String, Vec<serde_json::Value>), String> {
        check_length(&self.query)?;
        let mut out = String::with_capacity(self.query.len());
        let mut values = Vec::new();
        let mut last = 0;
        for (start, end, name) in scan(&self.query, self.driver == SqlDriver::Mysql)? {
            out.push_str(&self.query[last..start]);
            let param = self
                .params
                .iter()
                .find(|p| p.name == name)
                .ok_or_else(|| format!("the query uses :{name}, which has no value"))?;
            values.push(param.value.clone());
            match self.driver {
                SqlDriver::Postgres => out.push_str(&format!("${}", values.len())),
                _ => out.push('?'),
            }
            last = end;
        }
        out.push_str(&self.query[last..]);
        Ok((out, values))
    }
}

/// A query longer than `MAX_QUERY_CHARS` is refused before anything reads it.
fn check_length(query: &str) -> Result<(), String> {
    // Bytes bound characters from above: only a long text is counted.
    if query.len() > SqlSource::MAX_QUERY_CHARS
        && query.chars().count() > SqlSource::MAX_QUERY_CHARS
    {
        return Err(format!(
            "the query is {} characters long; a query is at most {}",
            query.chars().count(),
            SqlSource::MAX_QUERY_CHARS
        ));
    }
    Ok(())
}

/// The distinct `:name` parameters a query uses, in order of first use.
pub fn named_parameters(query: &str, driver: SqlDriver) -> Result<Vec<String>, String> {
    let mut names: Vec<String> = Vec::new();
    for (_, _, name) in scan(query, driver == SqlDriver::Mysql)? {
        if !names.contains(&name) {
            names.push(name);
        }
    }
    Ok(names)
}

/// Finds `:name` outside quotes and comments (and not PostgreSQL's `::` cast):
/// (start, end, name) for each. An unclosed quote or comment is an error. Backslash
/// escapes quotes only where the dialect says so (MySQL).
fn scan(query: &str, backslash_escapes: bool) -> Result<Vec<(usize, usize, String)>, String> {
    let bytes = query.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            quote @ (b'\'' | b'"' | b'`') => {
                let start = i;
                i += 1;
                loop {
                    match bytes.get(i) {
                        None => {
                            return Err(format!(
                                "a quote opened at character {} is not closed",
                                start + 1
                            ))
                        }
                        Some(&b) if b == quote => {
                            // A doubled quote is an escaped quote.
                            if bytes.get(i + 1) == Some(&quote) {
                                i += 2;
                                continue;
                            }
                            i += 1;
                            break;
                        }
                        Some(b'\\') if backslash_escapes && quote != b'"' => i += 2,
                        Some(_) => i += 1,
                    }
                }
            }
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                let start = i;
                match query[i + 2..].find("*/") {
                    Some(end) => i += 2 + end + 2,
                    None => {
                        return Err(format!(
                            "a comment opened at character {} is not closed",
                            start + 1
                        ))
                    }
                }
            }
            b':' if bytes.get(i + 1) == Some(&b':') => i += 2,
            b':' => {
                let start = i;
                let mut end = i + 1;
                while end < bytes.len()
                    && (bytes[end].is_ascii_alphanumeric() || bytes[end] == b'_')
                {
                    end += 1;
                }
                let starts_with_letter = bytes
                    .get(i + 1)
                    .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_');
                if end > i + 1 && starts_with_letter {
                    found.push((start, end, query[i + 1..end].to_string()));
                }
                i = end;
            }
            _ => i += 1,
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn source(driver: SqlDriver, query: &str, params: &[(&str, serde_json::Value)]) -> SqlSource {
        SqlSource {
            driver,
            host: "db.example.com".into(),
            port: None,
            database: "sales".into(),
            user: "reader".into(),
            password: None,
            require_tls: false,
            query: query.into(),
            params: params
                .iter()
                .map(|(n, v)| SqlParam {
                    name: n.to_string(),
                    value: v.clone(),
                })
                .collect(),
            timeout_ms: 5000,
            max_rows: 100,
        }
    }

    #[test]
    fn named_parameters_become_numbered_placeholders_for_postgres() {
        let s = source(
            SqlDriver::Postgres,
            "SELECT x::text FROM t WHERE a = :region AND b > :min OR c = :region",
            &[("region", json!("north")), ("min", json!(3))],
        );
        let (q, values) = s.bound_query().unwrap();
        assert_eq!(q, "SELECT x::text FROM t WHERE a = $1 AND b > $2 OR c = $3");
        assert_eq!(values, vec![json!("north"), json!(3), json!("north")]);
    }

    #[test]
    fn colons_in_strings_comments_and_times_are_not_parameters() {
        let s = source(
            SqlDriver::Mysql,
            "SELECT ':no', \"a:b\", '12:30' -- :nope\n /* :nor */ FROM t WHERE a = :yes",
            &[("yes", json!(1))],
        );
        let (q, values) = s.bound_query().unwrap();
        assert!(q.ends_with("WHERE a = ?"), "{q}");
        assert_eq!(values.len(), 1);
    }

    #[test]
    fn a_parameter_without_a_value_and_an_open_quote_are_named() {
        let err = source(SqlDriver::Postgres, "SELECT :x", &[])
            .validate()
            .unwrap_err();
        assert_eq!(err.field, "params");
        assert!(err.message.contains(":x"));
        let err = source(SqlDriver::Postgres, "SELECT 'abc", &[])
            .validate()
            .unwrap_err();
        assert!(err.message.contains("character 8"), "{err}");
    }

    #[test]
    fn a_query_one_character_past_the_limit_is_refused_before_it_is_scanned() {
        let at_limit = format!("SELECT '{}'", "é".repeat(SqlSource::MAX_QUERY_CHARS - 9));
        assert_eq!(at_limit.chars().count(), SqlSource::MAX_QUERY_CHARS);
        assert!(source(SqlDriver::Sqlite, &at_limit, &[]).validate().is_ok());
        let past = format!("{at_limit}x");
        let err = source(SqlDriver::Sqlite, &past, &[])
            .validate()
            .unwrap_err();
        assert_eq!(err.field, "query");
        assert!(err.message.contains("at most 20000"), "{err}");
        let err = source(SqlDriver::Postgres, &past, &[])
            .bound_query()
            .unwrap_err();
        assert!(err.contains("20001 characters"), "{err}");
    }

    #[test]
    fn a_network_source_needs_a_host_and_a_sane_timeout() {
        let mut s = source(SqlDriver::Postgres, "SELECT 1", &[]);
        s.host = String::new();
        assert_eq!(s.validate().unwrap_err().field, "host");
        let mut s = source(SqlDriver::Postgres, "SELECT 1", &[]);
        s.timeout_ms = 10;
        assert_eq!(s.validate().unwrap_err().field, "timeout_ms");
        let mut s = source(SqlDriver::Sqlite, "SELECT 1", &[]);
        s.host = String::new();
        assert!(s.validate().is_ok());
    }
}
