//! Data sources (where data lives) and datasets (what is read from a source, how often,
//! and into which typed fields). Credentials never live in these types' public views:
//! the browser sees `DatasetSummary`, never a `DataSource`'s full configuration.

use super::{Credential, DatasetId, Invalid, SheetSource, SourceId, SqlSource};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One row of a dataset: field name → value.
pub type Row = Map<String, Value>;

/// Most rows one extraction may produce.
pub const MAX_ROWS: usize = 1_000_000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataSource {
    pub id: SourceId,
    pub name: String,
    pub config: SourceConfig,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SourceConfig {
    Http(HttpSource),
    Sql(SqlSource),
    Sheet(SheetSource),
    /// Rows pushed by integrators through `POST /api/v1/datasets/{id}/rows`.
    Push(PushSource),
}

impl SourceConfig {
    pub fn validate(&self) -> Result<(), Invalid> {
        match self {
            SourceConfig::Http(http) => http.validate(),
            SourceConfig::Sql(sql) => sql.validate(),
            SourceConfig::Sheet(sheet) => sheet.validate(),
            SourceConfig::Push(push) => push.mode.validate(),
        }
    }

    /// Whether the server polls this source (pushed data arrives by itself).
    pub fn is_polled(&self) -> bool {
        !matches!(self, SourceConfig::Push(_))
    }

    /// A name for lists: no credentials, no query string.
    pub fn short_name(&self) -> String {
        match self {
            SourceConfig::Http(http) => http.short_name(),
            SourceConfig::Sql(sql) => sql.short_name(),
            SourceConfig::Sheet(sheet) => sheet.short_name(),
            SourceConfig::Push(_) => "push API".into(),
        }
    }

    /// The kind, as lists show it.
    pub fn kind(&self) -> SourceKind {
        match self {
            SourceConfig::Http(_) => SourceKind::Http,
            SourceConfig::Sql(_) => SourceKind::Sql,
            SourceConfig::Sheet(_) => SourceKind::Sheet,
            SourceConfig::Push(_) => SourceKind::Push,
        }
    }

    /// The uploaded file this source reads, if it reads one.
    pub fn upload(&self) -> Option<&super::UploadId> {
        match self {
            SourceConfig::Sheet(SheetSource {
                file: super::SheetFile::Upload { upload, .. },
                ..
            }) => Some(upload),
            _ => None,
        }
    }

    /// This configuration with every credential blank, for a form that edits it:
    /// credentials are write-only and never go back to the browser.
    pub fn without_credentials(&self) -> Self {
        let mut blank = self.clone();
        for credential in blank.credentials_mut() {
            *credential = Credential::Plain(String::new());
        }
        blank
    }

    /// Whether a credential is set (sealed or typed), for the form to say so.
    pub fn has_credentials(&self) -> bool {
        let mut probe = self.clone();
        let set = probe.credentials_mut().iter().any(|c| !c.is_empty());
        set
    }

    /// An edited configuration keeps the stored credentials wherever it leaves one
    /// blank (and, for SQL, no password at all), as long as it authenticates the same
    /// way: blank means "unchanged". A sealed value is never accepted from a form.
    pub fn keep_credentials(&mut self, stored: &SourceConfig) -> Result<(), Invalid> {
        if self
            .credentials_mut()
            .iter()
            .any(|c| matches!(c, Credential::Sealed { .. }))
        {
            return Err(Invalid::new(
                "source",
                "credentials are typed in the form; a sealed value is not accepted",
            ));
        }
        let same_shape = match (&*self, stored) {
            (SourceConfig::Sql(_), SourceConfig::Sql(_)) => true,
            _ => match (self.http_auth(), stored.http_auth()) {
                (Some(a), Some(b)) => std::mem::discriminant(a) == std::mem::discriminant(b),
                _ => false,
            },
        };
        if !same_shape {
            return Ok(());
        }
        if let (SourceConfig::Sql(new), SourceConfig::Sql(old)) = (&mut *self, stored) {
            if new.password.is_none() {
                new.password = old.password.clone();
            }
        }
        let mut stored = stored.clone();
        for (new, old) in self
            .credentials_mut()
            .into_iter()
            .zip(stored.credentials_mut())
        {
            if new.is_empty() {
                *new = old.clone();
            }
        }
        Ok(())
    }

    fn http_auth(&self) -> Option<&HttpAuth> {
        match self {
            SourceConfig::Http(http) => Some(&http.auth),
            SourceConfig::Sheet(SheetSource {
                file: super::SheetFile::Url { http },
                ..
            }) => Some(&http.auth),
            _ => None,
        }
    }

    /// Every credential in the configuration, to seal before storing or to open
    /// before reading.
    pub fn credentials_mut(&mut self) -> Vec<&mut Credential> {
        match self {
            SourceConfig::Http(http) => http.auth.credentials_mut(),
            SourceConfig::Sql(sql) => sql.password.iter_mut().collect(),
            SourceConfig::Sheet(SheetSource {
                file: super::SheetFile::Url { http },
                ..
            }) => http.auth.credentials_mut(),
            SourceConfig::Sheet(_) | SourceConfig::Push(_) => vec![],
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    Http,
    Sql,
    Sheet,
    Push,
}

/// Data that arrives through the push API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushSource {
    pub mode: PushMode,
}

/// What a push does to a dataset's rows.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PushMode {
    /// Pushed rows are added after the held ones; the oldest go when there are more
    /// than `max_rows`, or when they are older than `max_age_secs` (if set).
    Append {
        max_rows: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_age_secs: Option<u32>,
    },
    /// Each push replaces every row.
    Replace,
}

impl PushMode {
    /// Most rows an append dataset may keep.
    pub const MAX_KEPT_ROWS: u32 = 100_000;

    pub fn validate(&self) -> Result<(), Invalid> {
        match *self {
            PushMode::Append {
                max_rows,
                max_age_secs,
            } => {
                if max_rows == 0 || max_rows > Self::MAX_KEPT_ROWS {
                    return Err(Invalid::new(
                        "mode.max_rows",
                        format!("keep 1 to {} rows", Self::MAX_KEPT_ROWS),
                    ));
                }
                if max_age_secs == Some(0) {
                    return Err(Invalid::new(
                        "mode.max_age_secs",
                        "a maximum age is at least 1 second (or none)",
                    ));
                }
                Ok(())
            }
            PushMode::Replace => Ok(()),
        }
    }
}

/// An HTTP endpoint: how to ask (method, query, headers, body, auth), how to read the
/// answer (JSON, CSV or a plain number), how patiently (timeout, retries) and how many
/// pages to follow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HttpSource {
    pub url: String,
    /// How long one request may take, in milliseconds (100 to 60,000).
    pub timeout_ms: u32,
    #[serde(default, skip_serializing_if = "is_default")]
    pub method: HttpMethod,
    /// Query parameters added to the URL's own.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub query: Vec<KeyValue>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<KeyValue>,
    /// The request body (POST), sent as JSON when it parses as JSON, else as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(default, skip_serializing_if = "is_default")]
    pub auth: HttpAuth,
    #[serde(default, skip_serializing_if = "is_default")]
    pub format: ResponseFormat,
    /// Extra attempts after a failed request (0 to 5), with backoff.
    #[serde(default, skip_serializing_if = "is_default")]
    pub retries: u8,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pagination: Option<Pagination>,
}

fn is_default<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum HttpMethod {
    #[default]
    Get,
    Post,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyValue {
    pub name: String,
    pub value: String,
}

/// How requests prove who sends them. Secrets are `Credential`s: sealed at rest.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum HttpAuth {
    #[default]
    None,
    /// `Authorization: Bearer <token>`.
    Bearer { token: Credential },
    /// `Authorization: Basic …`.
    Basic { user: String, password: Credential },
    /// A header carrying a key, such as `X-API-Key`.
    ApiKey { header: String, key: Credential },
    /// A query parameter carrying a key, such as `?api_key=…` (sent only to the
    /// source's own origin).
    ApiKeyParam { param: String, key: Credential },
}

impl HttpAuth {
    pub fn credentials_mut(&mut self) -> Vec<&mut Credential> {
        match self {
            HttpAuth::None => vec![],
            HttpAuth::Bearer { token } => vec![token],
            HttpAuth::Basic { password, .. } => vec![password],
            HttpAuth::ApiKey { key, .. } | HttpAuth::ApiKeyParam { key, .. } => vec![key],
        }
    }
}

/// What the body holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResponseFormat {
    #[default]
    Json,
    /// CSV with a header row (the delimiter is guessed: comma, semicolon or tab).
    Csv,
    /// A bare number, such as `42.5`.
    Number,
}

/// How to fetch more pages of a JSON answer; every page's rows are concatenated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Pagination {
    /// The next page's URL is in the body (`next` is a JSONPath such as `$.links.next`)
    /// or, when `next` is empty, in a `Link: <…>; rel="next"` header.
    NextLink {
        #[serde(default)]
        next: String,
        max_pages: u32,
    },
    /// A query parameter counts pages up from `start` until a page has no rows.
    PageParam {
        param: String,
        start: u32,
        max_pages: u32,
    },
}

impl Pagination {
    pub const MAX_PAGES: u32 = 100;

    pub fn max_pages(&self) -> u32 {
        match self {
            Pagination::NextLink { max_pages, .. } | Pagination::PageParam { max_pages, .. } => {
                *max_pages
            }
        }
    }
}

impl HttpSource {
    pub const DEFAULT_TIMEOUT_MS: u32 = 5_000;
    pub const MAX_RETRIES: u8 = 5;

    pub fn new(url: &str) -> Result<Self, Invalid> {
        let source = Self::get(url);
        source.validate()?;
        Ok(source)
    }

    /// A plain GET of `url` with the default timeout (not validated).
    pub fn get(url: &str) -> Self {
        Self {
            url: url.trim().to_string(),
            timeout_ms: Self::DEFAULT_TIMEOUT_MS,
            method: HttpMethod::Get,
            query: Vec::new(),
            headers: Vec::new(),
            body: None,
            auth: HttpAuth::None,
            format: ResponseFormat::Json,
            retries: 0,
            pagination: None,
        }
    }

    /// A short name for the source: host and path, without query or credentials,
    /// at most 80 characters. Safe to show to anyone who can see the dashboard list.
    pub fn short_name(&self) -> String {
        let rest = self
            .url
            .split_once("://")
            .map(|(_, r)| r)
            .unwrap_or(&self.url);
        let rest = rest.split(['?', '#']).next().unwrap_or("");
        let rest = rest.rsplit_once('@').map(|(_, r)| r).unwrap_or(rest);
        let name: String = rest.chars().take(80).collect();
        if rest.chars().count() > 80 {
            format!("{name}…")
        } else {
            name
        }
    }

    pub fn validate(&self) -> Result<(), Invalid> {
        let url = self.url.as_str();
        let rest = url
            .strip_prefix("http://")
            .or_else(|| url.strip_prefix("https://"))
            .ok_or_else(|| Invalid::new("url", "the URL must start with http:// or https://"))?;
        let host = rest.split(['/', '?', '#']).next().unwrap_or("");
        if host.is_empty() {
            return Err(Invalid::new("url", "the URL has no host"));
        }
        if url.len() > 2048 || url.chars().any(char::is_whitespace) {
            return Err(Invalid::new(
                "url",
                "the URL must be at most 2048 characters, without spaces",
            ));
        }
        if !(100..=60_000).contains(&self.timeout_ms) {
            return Err(Invalid::new(
                "timeout_ms",
                "the timeout must be 100 to 60,000 ms",
            ));
        }
        for (list, what) in [(&self.query, "query"), (&self.headers, "headers")] {
            if list.len() > 50 {
                return Err(Invalid::new(what, "at most 50 entries"));
            }
            for (i, kv) in list.iter().enumerate() {
                let bad_name = kv.name.trim().is_empty()
                    || kv.name.len() > 200
                    || (what == "headers"
                        && !kv
                            .name
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b)));
                if bad_name {
                    return Err(Invalid::new(
                        format!("{what}[{i}].name"),
                        "a name is 1 to 200 characters (headers: letters, digits, - and _)",
                    ));
                }
                if kv.value.len() > 8192 || kv.value.chars().any(|c| c == '\r' || c == '\n') {
                    return Err(Invalid::new(
                        format!("{what}[{i}].value"),
                        "a value is one line of at most 8 KiB",
                    ));
                }
            }
        }
        self.refuse_secrets_outside_auth()?;
        if self.body.as_ref().is_some_and(|b| b.len() > 1 << 20) {
            return Err(Invalid::new("body", "a request body is at most 1 MiB"));
        }
        if self.body.is_some() && self.method == HttpMethod::Get {
            return Err(Invalid::new("body", "a GET request has no body; use POST"));
        }
        if self.retries > Self::MAX_RETRIES {
            return Err(Invalid::new("retries", "retry 0 to 5 times"));
        }
        if let HttpAuth::ApiKey { header, .. } = &self.auth {
            if header.trim().is_empty()
                || !header
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b))
            {
                return Err(Invalid::new(
                    "auth.header",
                    "the API key's header is a name such as X-API-Key",
                ));
            }
        }
        if let HttpAuth::ApiKeyParam { param, .. } = &self.auth {
            if param.trim().is_empty() || param.len() > 200 {
                return Err(Invalid::new(
                    "auth.param",
                    "the API key's parameter is a name such as api_key",
                ));
            }
        }
        if let Some(p) = &self.pagination {
            if p.max_pages() == 0 || p.max_pages() > Pagination::MAX_PAGES {
                return Err(Invalid::new(
                    "pagination.max_pages",
                    format!("follow 1 to {} pages", Pagination::MAX_PAGES),
                ));
            }
            match p {
                Pagination::NextLink { next, .. } if !next.trim().is_empty() => {
                    JsonPathExpr::parse(next).map_err(|e| e.within("pagination.next"))?;
                }
                Pagination::PageParam { param, .. } if param.trim().is_empty() => {
                    return Err(Invalid::new("pagination.param", "name the page parameter"));
                }
                _ => {}
            }
            if self.format != ResponseFormat::Json {
                return Err(Invalid::new("pagination", "only JSON answers are paged"));
            }
        }
        Ok(())
    }
}

/// Where secrets go instead of the URL, headers and query parameters.
const AUTH_HINT: &str = "put it in the auth section (bearer token, basic, API key header or \
                         API key parameter), where it is sealed at rest and sent only to this \
                         source's own origin";

impl HttpSource {
    /// Refuses secrets put outside the auth section: a user or password in the URL, and
    /// headers or query parameters (configured or in the URL) named like a secret
    /// (`looks_secret`). Those would be stored in clear and could follow a link or a
    /// redirect to another origin.
    fn refuse_secrets_outside_auth(&self) -> Result<(), Invalid> {
        let after_scheme = self.url.split_once("://").map_or("", |(_, r)| r);
        let authority = after_scheme.split(['/', '?', '#']).next().unwrap_or("");
        if authority.contains('@') {
            return Err(Invalid::new(
                "url",
                "the URL holds a user name or password: remove it from the URL and put it \
                 in the auth section (basic), where the password is sealed at rest and sent \
                 only to this source's own origin",
            ));
        }
        let in_url = after_scheme
            .split_once('?')
            .map_or("", |(_, q)| q.split('#').next().unwrap_or(""));
        for pair in in_url.split('&') {
            let name = percent_decoded(pair.split('=').next().unwrap_or(""));
            if looks_secret(&name) {
                return Err(Invalid::new(
                    "url",
                    format!(
                        "the URL's query parameter '{name}' looks like a secret: remove it \
                         from the URL and {AUTH_HINT}"
                    ),
                ));
            }
        }
        for (list, what) in [(&self.query, "query"), (&self.headers, "headers")] {
            for (i, kv) in list.iter().enumerate() {
                if looks_secret(kv.name.trim()) {
                    return Err(Invalid::new(
                        format!("{what}[{i}].name"),
                        format!("'{}' looks like a secret: {AUTH_HINT}", kv.name.trim()),
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Whether a header or query parameter named `name` likely carries a secret:
/// `Authorization`, `Cookie`, and names holding `token`, `secret`, `password`,
/// `apikey`, `credential`, or the word `key` or `auth` (`X-API-Key`, `access_key`,
/// `X-Auth-User`; not `keyword` or `author`).
pub fn looks_secret(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let compact: String = lower.chars().filter(char::is_ascii_alphanumeric).collect();
    let fragments = [
        "token",
        "secret",
        "password",
        "passwd",
        "apikey",
        "credential",
        "authorization",
        "cookie",
    ];
    if fragments.iter().any(|f| compact.contains(f)) {
        return true;
    }
    // Words: split at anything not a letter or digit, and where camelCase turns upper.
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    let mut previous_lower = false;
    for c in name.chars() {
        let boundary = !c.is_ascii_alphanumeric() || (c.is_ascii_uppercase() && previous_lower);
        if boundary && !word.is_empty() {
            words.push(std::mem::take(&mut word));
        }
        if c.is_ascii_alphanumeric() {
            word.push(c.to_ascii_lowercase());
        }
        previous_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
    }
    words.push(word);
    words
        .iter()
        .any(|w| matches!(w.as_str(), "key" | "auth" | "pwd"))
}

/// A query string's name with `%XX` and `+` decoded (invalid escapes kept as written).
fn percent_decoded(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(high), Some(low)) => {
                    out.push((high * 16 + low) as u8);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// How often a dataset is refreshed; 1 second to 1 day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "u64", into = "u64")]
pub struct RefreshInterval(u64);

impl RefreshInterval {
    pub const MIN_MS: u64 = 1_000;
    pub const MAX_MS: u64 = 86_400_000;

    pub fn from_millis(ms: u64) -> Result<Self, Invalid> {
        if !(Self::MIN_MS..=Self::MAX_MS).contains(&ms) {
            return Err(Invalid::new(
                "",
                format!("the refresh interval must be 1 s to 1 day, not {ms} ms"),
            ));
        }
        Ok(Self(ms))
    }

    pub fn millis(self) -> u64 {
        self.0
    }
}

impl TryFrom<u64> for RefreshInterval {
    type Error = Invalid;
    fn try_from(ms: u64) -> Result<Self, Invalid> {
        Self::from_millis(ms)
    }
}

impl From<RefreshInterval> for u64 {
    fn from(r: RefreshInterval) -> u64 {
        r.0
    }
}

/// A JSONPath (RFC 9535) expression, checked when constructed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct JsonPathExpr(String);

impl JsonPathExpr {
    /// Checks `raw` through the one bounded JSONPath entry (`syntax::json_path`).
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let raw = raw.trim();
        crate::syntax::check_json_path(raw).map_err(|e| Invalid::new("", e))?;
        Ok(Self(raw.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Every node the path selects in `doc`.
    pub fn select<'a>(&self, doc: &'a Value) -> Vec<&'a Value> {
        crate::syntax::json_path(&self.0)
            .map(|path| path.query(doc).all())
            .unwrap_or_default()
    }
}

impl TryFrom<String> for JsonPathExpr {
    type Error = Invalid;
    fn try_from(raw: String) -> Result<Self, Invalid> {
        Self::parse(&raw)
    }
}

impl From<JsonPathExpr> for String {
    fn from(p: JsonPathExpr) -> String {
        p.0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    Number,
    Text,
    Boolean,
}

impl FieldKind {
    /// Converts `value` to this kind, or says why it cannot be.
    pub fn convert(self, value: &Value) -> Result<Value, String> {
        match (self, value) {
            (_, Value::Null) => Ok(Value::Null),
            (FieldKind::Number, Value::Number(_)) => Ok(value.clone()),
            (FieldKind::Number, Value::String(s)) => s
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|n| n.is_finite())
                .and_then(serde_json::Number::from_f64)
                .map(Value::Number)
                .ok_or_else(|| format!("expected a number, got {}", preview(value))),
            (FieldKind::Number, _) => Err(format!("expected a number, got {}", preview(value))),
            (FieldKind::Text, Value::String(_)) => Ok(value.clone()),
            (FieldKind::Text, Value::Number(n)) => Ok(Value::String(n.to_string())),
            (FieldKind::Text, Value::Bool(b)) => Ok(Value::String(b.to_string())),
            (FieldKind::Text, _) => Err(format!("expected text, got {}", preview(value))),
            (FieldKind::Boolean, Value::Bool(_)) => Ok(value.clone()),
            (FieldKind::Boolean, _) => {
                Err(format!("expected true or false, got {}", preview(value)))
            }
        }
    }
}

/// A short rendering of a value for error messages.
fn preview(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 40 {
        format!("{}…", text.chars().take(40).collect::<String>())
    } else {
        text
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Field {
    pub name: String,
    pub kind: FieldKind,
}

pub fn validate_field_name(name: &str) -> Result<(), Invalid> {
    if name.is_empty() || name.len() > 64 {
        return Err(Invalid::new("", "a field name is 1 to 64 characters"));
    }
    if name.chars().any(char::is_control) {
        return Err(Invalid::new("", "a field name holds no control characters"));
    }
    Ok(())
}

/// What is read from a source: the JSONPath that picks the data, the typed fields it
/// yields, and how often it is refreshed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dataset {
    pub id: DatasetId,
    pub name: String,
    pub source: SourceId,
    pub path: JsonPathExpr,
    pub fields: Vec<Field>,
    pub refresh: RefreshInterval,
    /// Poll even when no screen shows the dataset (by default only watched datasets
    /// are polled).
    #[serde(default)]
    pub always_refresh: bool,
    /// The steps that shape the extracted rows.
    #[serde(default)]
    pub pipeline: crate::pipeline::Pipeline,
    /// Whether `fields` pick and type what is read (`Declared`), or the source's own
    /// columns are kept and `fields` only record the shape last seen (`Discovered`).
    #[serde(default)]
    pub columns: Columns,
    /// Seconds after its last update when the dataset's rows count as stale on
    /// screens; `None`: a few refresh intervals (polled), never (pushed).
    #[serde(default)]
    pub stale_after_secs: Option<u32>,
}

/// The longest "stale after" a dataset may set: 30 days.
pub const MAX_STALE_AFTER_SECS: u32 = 30 * 24 * 3600;

/// Checks a dataset's "stale after" (1 s to 30 days when set).
pub fn validate_stale_after(secs: Option<u32>) -> Result<(), Invalid> {
    match secs {
        Some(s) if s == 0 || s > MAX_STALE_AFTER_SECS => Err(Invalid::new(
            "stale_after_secs",
            "stale after is 1 second to 30 days (2592000 s), or empty",
        )),
        _ => Ok(()),
    }
}

/// What a screen expects of a dataset's updates, for its widgets' stale badges.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Freshness {
    /// The polling interval (ms) of a polled dataset.
    #[serde(default)]
    pub interval_ms: Option<u64>,
    /// The dataset's own "stale after" (ms).
    #[serde(default)]
    pub stale_after_ms: Option<u64>,
}

impl Freshness {
    /// A dataset's: `polled` says whether its refresh interval applies.
    pub fn new(polled: bool, refresh: RefreshInterval, stale_after_secs: Option<u32>) -> Self {
        Self {
            interval_ms: polled.then(|| refresh.millis()),
            stale_after_ms: stale_after_secs.map(|s| u64::from(s) * 1000),
        }
    }

    pub fn of(summary: &DatasetSummary) -> Self {
        Self::new(
            summary.push.is_none(),
            summary.refresh,
            summary.stale_after_secs,
        )
    }

    /// After how long without an update a widget reading this dataset is stale: the
    /// widget's own seconds (`Some(0)`: never) before the dataset's "stale after",
    /// before `intervals` × the polling interval (0: never).
    pub fn limit_ms(this: Option<Self>, widget_secs: Option<u32>, intervals: u32) -> Option<u64> {
        match widget_secs {
            Some(0) => None,
            Some(secs) => Some(u64::from(secs) * 1000),
            None => {
                let this = this?;
                this.stale_after_ms.or_else(|| {
                    this.interval_ms
                        .filter(|_| intervals > 0)
                        .map(|ms| ms * u64::from(intervals))
                })
            }
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Columns {
    #[default]
    Declared,
    Discovered,
}

/// What one read of a source gives: a JSON document, rows (SQL, workbooks), or
/// columns (CSV and TSV, read straight into a batch).
#[derive(Debug, Clone, PartialEq)]
pub enum Extracted {
    Document(Value),
    Rows(Vec<Row>),
    Batch(crate::pipeline::Batch),
}

/// A dataset's name (1 to 120 characters) and fields (1 to 100, named once each).
fn validate_name_and_fields(name: &str, fields: &[Field]) -> Result<(), Invalid> {
    if name.trim().is_empty() || name.chars().count() > 120 {
        return Err(Invalid::new("name", "a name is 1 to 120 characters"));
    }
    if fields.is_empty() || fields.len() > 100 {
        return Err(Invalid::new("fields", "a dataset has 1 to 100 fields"));
    }
    for (i, field) in fields.iter().enumerate() {
        validate_field_name(&field.name).map_err(|e| e.within(&format!("fields[{i}].name")))?;
        if fields[..i].iter().any(|f| f.name == field.name) {
            return Err(Invalid::new(
                format!("fields[{i}].name"),
                format!("'{}' is named twice", field.name),
            ));
        }
    }
    Ok(())
}

impl Dataset {
    /// A declared dataset has 1 to 100 fields; a discovered one may have none yet (its
    /// source gave no rows when it was made).
    pub fn validate(&self) -> Result<(), Invalid> {
        if self.columns == Columns::Discovered && self.fields.is_empty() {
            return validate_name_and_fields(
                &self.name,
                &[Field {
                    name: "value".into(),
                    kind: FieldKind::Text,
                }],
            );
        }
        validate_stale_after(self.stale_after_secs)?;
        validate_name_and_fields(&self.name, &self.fields)
    }

    /// Turns a source's JSON answer into typed rows and runs the pipeline on them.
    pub fn rows_from(&self, doc: &Value) -> Result<Vec<Row>, String> {
        self.shape(Extracted::Document(doc.clone()))
    }

    /// The rows a source's read becomes: extracted (JSON documents) and run through the
    /// pipeline.
    pub fn shape(&self, read: Extracted) -> Result<Vec<Row>, String> {
        self.shape_in(read, &crate::pipeline::Env::local(Default::default()))
    }

    /// As `shape`, in `env`: its limits, the datasets `join` steps read, where jq runs.
    pub fn shape_in(
        &self,
        read: Extracted,
        env: &crate::pipeline::Env,
    ) -> Result<Vec<Row>, String> {
        let outcome = match read {
            Extracted::Batch(batch) if !self.pipeline.steps.is_empty() => {
                self.pipeline.run_batch(batch, env)
            }
            read => {
                let rows = self.source_rows(read)?;
                if self.pipeline.steps.is_empty() {
                    return Ok(rows);
                }
                self.pipeline.run_in(rows, env)
            }
        };
        outcome
            .map(|outcome| outcome.rows)
            .map_err(|e| e.to_string())
    }

    /// As `shape_in`, the result kept as a batch (the form the server holds), and
    /// refused when it holds more bytes of values than `env`'s budget.
    pub fn shape_batch(
        &self,
        read: Extracted,
        env: &crate::pipeline::Env,
    ) -> Result<crate::pipeline::Batch, String> {
        let batch = self.source_batch(read)?;
        self.run_held(batch, env).map(|(batch, _)| batch)
    }

    /// The rows of a read before the pipeline, as a batch.
    pub fn source_batch(&self, read: Extracted) -> Result<crate::pipeline::Batch, String> {
        match read {
            Extracted::Batch(batch) => Ok(batch),
            read => self
                .source_rows(read)
                .map(crate::pipeline::Batch::from_rows),
        }
    }

    /// Runs the pipeline on `batch` in `env` (with a report per step), the result
    /// kept as a batch and refused past `env`'s byte budget for what a dataset holds.
    pub fn run_held(
        &self,
        batch: crate::pipeline::Batch,
        env: &crate::pipeline::Env,
    ) -> Result<(crate::pipeline::Batch, Vec<crate::pipeline::StepReport>), String> {
        let (batch, reports) = self
            .pipeline
            .run_to_batch(batch, env)
            .map_err(|e| e.to_string())?;
        env.limits.check_held(&batch)?;
        Ok((batch, reports))
    }

    /// The rows of a read before the pipeline.
    pub fn source_rows(&self, read: Extracted) -> Result<Vec<Row>, String> {
        match (read, self.columns) {
            (Extracted::Document(doc), Columns::Declared) => self.extract(&doc),
            (Extracted::Document(doc), Columns::Discovered) => rows_at(&doc, &self.path),
            (Extracted::Rows(rows), _) => Ok(rows),
            (Extracted::Batch(batch), _) => Ok(batch.into_rows()),
        }
    }

    /// Turns a source's JSON answer into typed rows.
    ///
    /// The path selects either scalars (each becomes a row holding the first field) or
    /// objects (each becomes a row of the named fields). Fails, saying why, when the
    /// path selects nothing, a value has the wrong type, or there are too many rows.
    pub fn extract(&self, doc: &Value) -> Result<Vec<Row>, String> {
        let nodes = self.path.select(doc);
        if nodes.is_empty() {
            return Err("the JSON path matches nothing in the response".to_string());
        }
        let nodes: Vec<&Value> = match nodes.as_slice() {
            [Value::Array(items)] => items.iter().collect(),
            _ => nodes,
        };
        if nodes.len() > MAX_ROWS {
            return Err(format!(
                "the path selects {} rows; at most {MAX_ROWS} are kept",
                nodes.len()
            ));
        }
        nodes
            .iter()
            .enumerate()
            .map(|(i, node)| {
                self.row(node).map_err(|e| {
                    if nodes.len() > 1 {
                        format!("row {}: {e}", i + 1)
                    } else {
                        e
                    }
                })
            })
            .collect()
    }

    /// Checks one pushed row against the fields: each field is converted to its kind
    /// (a missing one is null); keys that are not fields are dropped. The error names
    /// the field.
    pub fn pushed_row(&self, value: Value) -> Result<Row, PushRowError> {
        let Value::Object(object) = value else {
            return Err(PushRowError {
                field: None,
                message: format!("a row is a JSON object, got {}", preview(&value)),
            });
        };
        let values: Vec<Option<&Value>> = self.fields.iter().map(|f| object.get(&f.name)).collect();
        self.pushed_values(&values)
    }

    /// As `pushed_row`, given the value of each field by position (`None`: missing),
    /// for readers that pick the fields out of a row as they read it.
    pub fn pushed_values(&self, values: &[Option<&Value>]) -> Result<Row, PushRowError> {
        let mut row = Row::new();
        for (i, field) in self.fields.iter().enumerate() {
            let value = values.get(i).copied().flatten().unwrap_or(&Value::Null);
            let value = field.kind.convert(value).map_err(|message| PushRowError {
                field: Some(field.name.clone()),
                message,
            })?;
            row.insert(field.name.clone(), value);
        }
        Ok(row)
    }

    fn row(&self, node: &Value) -> Result<Row, String> {
        let mut row = Row::new();
        match node {
            Value::Object(object) => {
                for field in &self.fields {
                    let value = object.get(&field.name).unwrap_or(&Value::Null);
                    let value = field
                        .kind
                        .convert(value)
                        .map_err(|e| format!("field '{}': {e}", field.name))?;
                    row.insert(field.name.clone(), value);
                }
            }
            scalar => {
                let field = &self.fields[0];
                let value = field
                    .kind
                    .convert(scalar)
                    .map_err(|e| format!("field '{}': {e}", field.name))?;
                row.insert(field.name.clone(), value);
            }
        }
        Ok(row)
    }
}

/// Most JSON a dataset's path may select from one answer.
pub const MAX_SELECTED_BYTES: usize = 64 << 20;

/// The rows at `path` in `doc`, keeping every key: an array of objects is a row per
/// object, a scalar (or an array of them) a row per value holding `value`.
pub fn rows_at(doc: &Value, path: &JsonPathExpr) -> Result<Vec<Row>, String> {
    let nodes = path.select(doc);
    if nodes.is_empty() {
        return Err("the JSON path matches nothing in the response".to_string());
    }
    let nodes: Vec<&Value> = match nodes.as_slice() {
        [Value::Array(items)] => items.iter().collect(),
        _ => nodes,
    };
    if nodes.len() > MAX_ROWS {
        return Err(format!(
            "the path selects {} rows; at most {MAX_ROWS} are kept",
            nodes.len()
        ));
    }
    // Nested selections (`$..*`) can repeat the document many times over: measure
    // what is selected before copying it.
    let mut room = MAX_SELECTED_BYTES;
    for node in &nodes {
        let size = crate::pipeline::budget::json_len_within(node, room).ok_or_else(|| {
            format!(
                "the path selects more than {} MiB of JSON; select less",
                MAX_SELECTED_BYTES >> 20
            )
        })?;
        room -= size;
    }
    Ok(nodes
        .into_iter()
        .map(|node| match node {
            Value::Object(object) => object.clone(),
            other => {
                let mut row = Row::new();
                row.insert("value".into(), other.clone());
                row
            }
        })
        .collect())
}

/// The fields rows show: each key in order of first appearance, typed Number or
/// Boolean when every non-empty cell is one, else Text. At most 100.
pub fn infer_fields(rows: &[Row]) -> Vec<Field> {
    let mut fields: Vec<(String, Option<FieldKind>)> = Vec::new();
    for row in rows.iter().take(1000) {
        for (name, value) in row {
            let kind = match value {
                Value::Null => None,
                Value::Number(_) => Some(FieldKind::Number),
                Value::Bool(_) => Some(FieldKind::Boolean),
                _ => Some(FieldKind::Text),
            };
            if let Some((_, seen)) = fields.iter_mut().find(|(n, _)| n == name) {
                *seen = match (*seen, kind) {
                    (None, k) | (k, None) => k,
                    (Some(a), Some(b)) if a == b => Some(a),
                    _ => Some(FieldKind::Text),
                };
            } else if fields.len() < 100 && validate_field_name(name).is_ok() {
                fields.push((name.clone(), kind));
            }
        }
    }
    fields
        .into_iter()
        .map(|(name, kind)| Field {
            name,
            kind: kind.unwrap_or(FieldKind::Text),
        })
        .collect()
}

/// Why a pushed row was refused: the field (if one is to blame) and the reason.
#[derive(Debug, Clone, PartialEq)]
pub struct PushRowError {
    pub field: Option<String>,
    pub message: String,
}

/// What the browser may know of a dataset: no URL, no credentials.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetSummary {
    pub id: DatasetId,
    pub name: String,
    pub fields: Vec<Field>,
    pub refresh: RefreshInterval,
    /// How pushes change it, for pushed datasets; `None` for polled ones.
    #[serde(default)]
    pub push: Option<PushMode>,
    #[serde(default)]
    pub always_refresh: bool,
    #[serde(default = "http_kind")]
    pub kind: SourceKind,
    #[serde(default)]
    pub stale_after_secs: Option<u32>,
}

fn http_kind() -> SourceKind {
    SourceKind::Http
}

impl DatasetSummary {
    pub fn of(d: &Dataset, source: &SourceConfig) -> Self {
        Self {
            id: d.id.clone(),
            name: d.name.clone(),
            fields: d.fields.clone(),
            refresh: d.refresh,
            push: match source {
                SourceConfig::Push(p) => Some(p.mode),
                _ => None,
            },
            kind: source.kind(),
            always_refresh: d.always_refresh,
            stale_after_secs: d.stale_after_secs,
        }
    }
}

/// The form for a dataset fed by the push API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewPushDataset {
    pub name: String,
    pub fields: Vec<Field>,
    pub mode: PushMode,
    /// Seconds without a push after which screens mark its widgets stale.
    #[serde(default)]
    pub stale_after_secs: Option<u32>,
}

impl NewPushDataset {
    pub fn validate(&self) -> Result<(), Invalid> {
        validate_name_and_fields(&self.name, &self.fields)?;
        validate_stale_after(self.stale_after_secs)?;
        self.mode.validate()
    }
}

/// The editor's form for "read one number from a JSON API".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewHttpDataset {
    pub name: String,
    pub url: String,
    pub path: String,
    pub field: String,
    pub kind: FieldKind,
    pub refresh_ms: u64,
    pub timeout_ms: u32,
    /// Poll even when no screen shows it.
    #[serde(default)]
    pub always_refresh: bool,
    /// Steps applied to the extracted rows.
    #[serde(default)]
    pub pipeline: crate::pipeline::Pipeline,
}

impl NewHttpDataset {
    /// Checks the form and splits it into the source and the dataset's parts.
    pub fn parse(&self) -> Result<(HttpSource, JsonPathExpr, Field, RefreshInterval), Invalid> {
        let http = HttpSource {
            timeout_ms: self.timeout_ms,
            ..HttpSource::get(&self.url)
        };
        http.validate()?;
        let path = JsonPathExpr::parse(&self.path).map_err(|e| e.within("path"))?;
        validate_field_name(self.field.trim()).map_err(|e| e.within("field"))?;
        let refresh =
            RefreshInterval::from_millis(self.refresh_ms).map_err(|e| e.within("refresh_ms"))?;
        if self.name.trim().is_empty() || self.name.chars().count() > 120 {
            return Err(Invalid::new("name", "a name is 1 to 120 characters"));
        }
        let field = Field {
            name: self.field.trim().to_string(),
            kind: self.kind,
        };
        Ok((http, path, field, refresh))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn bearer(token: Credential) -> SourceConfig {
        let mut http = HttpSource::get("https://api.example.com/");
        http.auth = HttpAuth::Bearer { token };
        SourceConfig::Http(http)
    }

    fn token_of(config: &SourceConfig) -> Credential {
        match config {
            SourceConfig::Http(HttpSource {
                auth: HttpAuth::Bearer { token },
                ..
            }) => token.clone(),
            other => panic!("not a bearer source: {other:?}"),
        }
    }

    #[test]
    fn an_edit_keeps_a_credential_left_blank_and_takes_a_typed_one() {
        let sealed = Credential::Sealed {
            sealed: "v1.k.abc".into(),
        };
        let stored = bearer(sealed.clone());
        assert!(stored.has_credentials());
        let blank = stored.without_credentials();
        assert_eq!(token_of(&blank), Credential::plain(""));
        assert!(!blank.has_credentials());

        let mut kept = blank.clone();
        kept.keep_credentials(&stored).unwrap();
        assert_eq!(token_of(&kept), sealed);

        let mut typed = bearer(Credential::plain("new"));
        typed.keep_credentials(&stored).unwrap();
        assert_eq!(token_of(&typed), Credential::plain("new"));

        // Another way of authenticating starts from nothing.
        let mut http = HttpSource::get("https://api.example.com/");
        http.auth = HttpAuth::ApiKey {
            header: "X-Key".into(),
            key: Credential::plain(""),
        };
        let mut other = SourceConfig::Http(http);
        other.keep_credentials(&stored).unwrap();
        assert!(!other.has_credentials());

        // A form cannot send a sealed value (it could be another source's).
        let mut smuggled = bearer(sealed);
        assert_eq!(
            smuggled.keep_credentials(&stored).unwrap_err().field,
            "source"
        );
    }

    #[test]
    fn an_sql_edit_without_a_password_keeps_the_stored_one() {
        let stored_password = Credential::Sealed {
            sealed: "v1.k.pw".into(),
        };
        let sql = |password: Option<Credential>| {
            SourceConfig::Sql(SqlSource {
                driver: crate::model::SqlDriver::Postgres,
                host: "db".into(),
                port: None,
                database: "sales".into(),
                user: "reader".into(),
                password,
                require_tls: false,
                query: "SELECT 1".into(),
                params: Vec::new(),
                timeout_ms: 5_000,
                max_rows: 100,
            })
        };
        let stored = sql(Some(stored_password.clone()));
        let mut edited = sql(None);
        edited.keep_credentials(&stored).unwrap();
        assert_eq!(edited, stored);
        let mut replaced = sql(Some(Credential::plain("new")));
        replaced.keep_credentials(&stored).unwrap();
        assert_eq!(replaced, sql(Some(Credential::plain("new"))));
    }

    #[test]
    fn the_widget_then_the_dataset_then_the_interval_say_when_data_is_stale() {
        let polled = Freshness {
            interval_ms: Some(10_000),
            stale_after_ms: None,
        };
        let pushed = Freshness {
            interval_ms: None,
            stale_after_ms: Some(60_000),
        };
        let both = Freshness {
            stale_after_ms: Some(5_000),
            ..polled
        };
        assert_eq!(Freshness::limit_ms(Some(polled), None, 3), Some(30_000));
        assert_eq!(Freshness::limit_ms(Some(polled), None, 0), None);
        assert_eq!(Freshness::limit_ms(Some(pushed), None, 3), Some(60_000));
        assert_eq!(Freshness::limit_ms(Some(both), None, 3), Some(5_000));
        assert_eq!(Freshness::limit_ms(Some(both), Some(2), 3), Some(2_000));
        assert_eq!(Freshness::limit_ms(Some(both), Some(0), 3), None);
        assert_eq!(Freshness::limit_ms(None, None, 3), None);
        assert_eq!(Freshness::limit_ms(None, Some(7), 3), Some(7_000));
        assert_eq!(
            Freshness::limit_ms(Some(Freshness::default()), None, 3),
            None
        );
    }

    #[test]
    fn stale_after_is_bounded() {
        assert!(validate_stale_after(None).is_ok());
        assert!(validate_stale_after(Some(1)).is_ok());
        assert!(validate_stale_after(Some(MAX_STALE_AFTER_SECS)).is_ok());
        let zero = validate_stale_after(Some(0)).unwrap_err();
        assert_eq!(zero.field, "stale_after_secs");
        assert!(validate_stale_after(Some(MAX_STALE_AFTER_SECS + 1)).is_err());
    }

    fn dataset(path: &str, fields: &[(&str, FieldKind)]) -> Dataset {
        Dataset {
            id: DatasetId::parse("d1").unwrap(),
            name: "d".into(),
            source: SourceId::parse("s1").unwrap(),
            path: JsonPathExpr::parse(path).unwrap(),
            fields: fields
                .iter()
                .map(|(n, k)| Field {
                    name: n.to_string(),
                    kind: *k,
                })
                .collect(),
            refresh: RefreshInterval::from_millis(1000).unwrap(),
            always_refresh: false,
            pipeline: Default::default(),
            columns: Columns::Declared,
            stale_after_secs: None,
        }
    }

    #[test]
    fn discovered_columns_keep_every_key_and_fields_are_inferred() {
        let mut d = dataset("$.items", &[("x", FieldKind::Number)]);
        d.columns = Columns::Discovered;
        let doc = json!({"items": [{"a": 1, "b": "x"}, {"a": null, "b": 2, "c": true}]});
        let rows = d.shape(Extracted::Document(doc)).unwrap();
        assert_eq!(rows[1]["c"], json!(true));
        let fields = infer_fields(&rows);
        let kinds: Vec<(&str, FieldKind)> =
            fields.iter().map(|f| (f.name.as_str(), f.kind)).collect();
        assert_eq!(
            kinds,
            vec![
                ("a", FieldKind::Number),
                ("b", FieldKind::Text),
                ("c", FieldKind::Boolean)
            ]
        );
    }

    #[test]
    fn a_pushed_row_is_converted_and_a_bad_one_names_its_field() {
        let d = dataset("$", &[("t", FieldKind::Text), ("n", FieldKind::Number)]);
        let row = d.pushed_row(json!({"n": "3", "extra": 1})).unwrap();
        assert_eq!(Value::Object(row), json!({"t": null, "n": 3.0}));
        let err = d.pushed_row(json!({"n": "three"})).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("n"));
        assert!(err.message.contains("expected a number"), "{}", err.message);
        assert_eq!(d.pushed_row(json!([1])).unwrap_err().field, None);
    }

    #[test]
    fn push_modes_keep_a_bounded_number_of_rows() {
        assert!(PushMode::Append {
            max_rows: 0,
            max_age_secs: None
        }
        .validate()
        .is_err());
        assert!(PushMode::Append {
            max_rows: 100_001,
            max_age_secs: None
        }
        .validate()
        .is_err());
        assert!(PushMode::Append {
            max_rows: 10,
            max_age_secs: Some(0)
        }
        .validate()
        .is_err());
        assert!(PushMode::Append {
            max_rows: 10,
            max_age_secs: Some(60)
        }
        .validate()
        .is_ok());
        let form = NewPushDataset {
            stale_after_secs: None,
            name: "orders".into(),
            fields: vec![
                Field {
                    name: "n".into(),
                    kind: FieldKind::Number,
                },
                Field {
                    name: "n".into(),
                    kind: FieldKind::Text,
                },
            ],
            mode: PushMode::Replace,
        };
        assert_eq!(form.validate().unwrap_err().field, "fields[1].name");
    }

    #[test]
    fn a_scalar_selected_by_the_path_becomes_one_row() {
        let d = dataset("$.data.sales", &[("value", FieldKind::Number)]);
        let rows = d.extract(&json!({"data": {"sales": 42.5}})).unwrap();
        assert_eq!(
            rows,
            vec![json!({"value": 42.5}).as_object().unwrap().clone()]
        );
    }

    #[test]
    fn numbers_sent_as_text_are_converted() {
        let d = dataset("$.v", &[("value", FieldKind::Number)]);
        let rows = d.extract(&json!({"v": " 17 "})).unwrap();
        assert_eq!(rows[0]["value"], json!(17.0));
    }

    #[test]
    fn a_path_that_matches_nothing_says_so() {
        let d = dataset("$.missing", &[("value", FieldKind::Number)]);
        let err = d.extract(&json!({"v": 1})).unwrap_err();
        assert!(err.contains("matches nothing"), "{err}");
    }

    #[test]
    fn a_non_numeric_value_names_the_field_and_the_value() {
        let d = dataset("$.v", &[("value", FieldKind::Number)]);
        let err = d.extract(&json!({"v": "n/a"})).unwrap_err();
        assert_eq!(err, "field 'value': expected a number, got \"n/a\"");
    }

    #[test]
    fn an_array_of_objects_becomes_rows_of_the_named_fields() {
        let d = dataset(
            "$.items",
            &[("name", FieldKind::Text), ("n", FieldKind::Number)],
        );
        let rows = d
            .extract(&json!({"items": [{"name": "a", "n": 1, "x": 0}, {"name": "b", "n": 2}]}))
            .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1]["name"], json!("b"));
        assert!(!rows[0].contains_key("x"));
    }

    #[test]
    fn a_bad_row_in_many_is_named_by_its_number() {
        let d = dataset("$.items", &[("n", FieldKind::Number)]);
        let err = d
            .extract(&json!({"items": [{"n": 1}, {"n": true}]}))
            .unwrap_err();
        assert!(err.starts_with("row 2: field 'n'"), "{err}");
    }

    #[test]
    fn an_invalid_json_path_is_refused_when_parsed() {
        assert!(JsonPathExpr::parse("$.[").is_err());
        assert!(JsonPathExpr::parse("$.a.b[0]").is_ok());
    }

    #[test]
    fn a_hostile_json_path_is_refused_before_it_is_parsed_in_every_place_one_is_read() {
        let deep = format!("$[?{}@{}]", "(".repeat(100_000), ")".repeat(100_000));
        let err = JsonPathExpr::parse(&deep).unwrap_err();
        assert!(
            err.message.contains("longer than 4000 characters"),
            "{err:?}"
        );
        let nested = format!("$[?{}@{}]", "(".repeat(500), ")".repeat(500));
        let err = JsonPathExpr::parse(&nested).unwrap_err();
        assert!(err.message.contains("nested more than 64"), "{err:?}");
        let err = serde_json::from_value::<JsonPathExpr>(json!(nested)).unwrap_err();
        assert!(err.to_string().contains("nested more than 64"), "{err}");
    }

    #[test]
    fn a_path_that_selects_the_document_many_times_over_is_refused_before_copying() {
        // Every subtree of a deep document: its size times its depth.
        let mut doc = json!({"leaf": "x".repeat(1 << 20)});
        for _ in 0..100 {
            doc = json!({ "a": doc });
        }
        let err = rows_at(&doc, &JsonPathExpr::parse("$..*").unwrap()).unwrap_err();
        assert!(err.contains("more than 64 MiB"), "{err}");
    }

    #[test]
    fn a_refresh_under_one_second_is_refused() {
        assert!(RefreshInterval::from_millis(999).is_err());
        assert!(serde_json::from_str::<RefreshInterval>("500").is_err());
    }

    #[test]
    fn a_short_name_drops_credentials_and_query() {
        let s = HttpSource::get("https://user:key@api.example.com/v1/sales?token=secret");
        assert_eq!(s.short_name(), "api.example.com/v1/sales");
    }

    #[test]
    fn secrets_outside_the_auth_section_are_refused_saying_where_they_go() {
        let err = HttpSource::new("https://user:pw@api.example.com/v1").unwrap_err();
        assert_eq!(err.field, "url");
        assert!(err.message.contains("auth section (basic)"), "{err}");
        for url in [
            "https://api.example.com/v1?region=n&api_key=abc",
            "https://api.example.com/v1?access%5Ftoken=abc#x",
            "https://api.example.com/v1?apiKey=abc",
        ] {
            let err = HttpSource::new(url).unwrap_err();
            assert_eq!(err.field, "url", "{url}");
            assert!(err.message.contains("API key parameter"), "{url}: {err}");
        }
        let with = |headers: &[&str], query: &[&str]| {
            let kv = |n: &&str| KeyValue {
                name: n.to_string(),
                value: "v".into(),
            };
            HttpSource {
                headers: headers.iter().map(kv).collect(),
                query: query.iter().map(kv).collect(),
                ..HttpSource::get("https://api.example.com/v1")
            }
            .validate()
        };
        for header in [
            "Authorization",
            "X-API-Key",
            "Cookie",
            "X-Auth-Token",
            "client_secret",
        ] {
            let err = with(&["Accept", header], &[]).unwrap_err();
            assert_eq!(err.field, "headers[1].name", "{header}");
            assert!(err.message.contains("auth section"), "{err}");
        }
        let err = with(&[], &["key"]).unwrap_err();
        assert_eq!(err.field, "query[0].name");
        assert!(with(
            &["Accept", "X-Request-Id"],
            &["keyword", "author", "monkey"]
        )
        .is_ok());
    }

    #[test]
    fn secret_like_names_are_told_from_ordinary_ones() {
        for name in [
            "api_key",
            "apikey",
            "apiKey",
            "X-API-Key",
            "key",
            "access_key",
            "token",
            "access_token",
            "Authorization",
            "Proxy-Authorization",
            "cookie",
            "password",
            "client_secret",
            "X-Auth-User",
            "auth",
            "pwd",
        ] {
            assert!(looks_secret(name), "{name}");
        }
        for name in [
            "keyword",
            "author",
            "monkey",
            "page",
            "q",
            "Accept",
            "X-Request-Id",
        ] {
            assert!(!looks_secret(name), "{name}");
        }
    }

    #[test]
    fn an_api_key_parameter_is_a_sealed_credential_with_a_name() {
        let mut s = HttpSource::get("https://api.example.com/v1");
        s.auth = HttpAuth::ApiKeyParam {
            param: " ".into(),
            key: Credential::Plain("k".into()),
        };
        assert_eq!(s.validate().unwrap_err().field, "auth.param");
        s.auth = HttpAuth::ApiKeyParam {
            param: "api_key".into(),
            key: Credential::Plain("k".into()),
        };
        assert!(s.validate().is_ok());
        assert_eq!(s.auth.credentials_mut().len(), 1);
    }

    #[test]
    fn urls_without_a_scheme_or_host_are_refused() {
        assert_eq!(HttpSource::new("ftp://x").unwrap_err().field, "url");
        assert_eq!(HttpSource::new("http:///path").unwrap_err().field, "url");
        assert!(HttpSource::new("https://api.example.com/v1?x=1").is_ok());
    }
}
