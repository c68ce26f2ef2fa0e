//! Reading HTTP sources: the request as configured (method, query, headers, body,
//! auth), retries with backoff, a timeout and a size cap on each body, pagination, and
//! errors that say what went wrong in words an author can act on. Logs name the host
//! only: URLs and headers may carry credentials.
//!
//! What the author configured (auth, headers, query parameters, the body) goes only to
//! the source's own origin (scheme, host and port). A page link or a redirect to
//! another origin is requested as a plain GET of that URL, without any of it, and
//! without a query parameter of the same name as a configured one or the API key's.
//! The client follows no redirect itself (see `outbound::client`): this module follows
//! them, at most 5, checking each target with the guard.

use super::outbound::{refused_in, Guard};
use app::model::{
    Credential, Dataset, Extracted, HttpAuth, HttpMethod, HttpSource, JsonPathExpr, KeyValue,
    Pagination, ResponseFormat, Row,
};
use futures::StreamExt;
use serde_json::Value;
use std::time::Duration;

/// One answer: its body and the `Link: <…>; rel="next"` target, if any.
struct Answer {
    body: Vec<u8>,
    next_link: Option<String>,
}

/// Reads the source once (following pages when configured) into what the dataset
/// extracts from: a JSON document, or rows (CSV, a number, several pages).
#[tracing::instrument(skip_all, fields(host = %host_of(&source.url)))]
pub async fn read(
    client: &reqwest::Client,
    guard: &Guard,
    source: &HttpSource,
    dataset: &Dataset,
    max_bytes: usize,
) -> Result<Extracted, String> {
    let Some(pagination) = &source.pagination else {
        let answer = fetch_with_retries(client, guard, source, &source.url, max_bytes).await?;
        return parse(source, answer.body).await;
    };
    // The pages' rows go into columns as they come.
    let mut rows = app::pipeline::batch::Builder::default();
    let mut url = source.url.clone();
    for page in 0..pagination.max_pages() {
        let page_url = match pagination {
            Pagination::PageParam { param, start, .. } => {
                with_query(&source.url, param, &(start + page).to_string())?
            }
            Pagination::NextLink { .. } => url.clone(),
        };
        let answer = fetch_with_retries(client, guard, source, &page_url, max_bytes).await?;
        let doc = parse_json(answer.body).await?;
        let page_rows = dataset
            .source_rows(Extracted::Document(doc.clone()))
            .map_err(|e| format!("page {}: {e}", page + 1))?;
        let empty = page_rows.is_empty();
        if rows.len() + page_rows.len() > app::model::MAX_ROWS {
            return Err(format!(
                "the pages hold more than {} rows",
                app::model::MAX_ROWS
            ));
        }
        for row in page_rows {
            rows.push(row);
        }
        let next = match pagination {
            Pagination::PageParam { .. } if empty => None,
            Pagination::PageParam { .. } => Some(String::new()),
            Pagination::NextLink { next, .. } if next.trim().is_empty() => answer.next_link,
            Pagination::NextLink { next, .. } => next_in_body(&doc, next)?,
        };
        match next {
            None => break,
            Some(next) if next.is_empty() => {}
            Some(next) => {
                url = reqwest::Url::parse(&page_url)
                    .and_then(|base| base.join(&next))
                    .map_err(|_| format!("page {}: the next link '{next}' is not a URL", page + 1))?
                    .to_string();
            }
        }
    }
    Ok(Extracted::Batch(rows.finish()))
}

/// The body of one answer (retried as configured), whatever its format.
pub async fn fetch_bytes(
    client: &reqwest::Client,
    guard: &Guard,
    source: &HttpSource,
    max_bytes: usize,
) -> Result<Vec<u8>, String> {
    fetch_with_retries(client, guard, source, &source.url, max_bytes)
        .await
        .map(|answer| answer.body)
}

/// The next page's URL at `path` in `doc`; none when it is missing, null or empty.
fn next_in_body(doc: &Value, path: &str) -> Result<Option<String>, String> {
    let path = JsonPathExpr::parse(path).map_err(|e| e.message)?;
    Ok(match path.select(doc).first() {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
        _ => None,
    })
}

fn with_query(url: &str, name: &str, value: &str) -> Result<String, String> {
    let mut url = reqwest::Url::parse(url).map_err(|e| format!("the URL is not valid: {e}"))?;
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k != name)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    url.query_pairs_mut()
        .clear()
        .extend_pairs(kept)
        .append_pair(name, value);
    Ok(url.to_string())
}

async fn parse(source: &HttpSource, body: Vec<u8>) -> Result<Extracted, String> {
    match source.format {
        ResponseFormat::Json => parse_json(body).await.map(Extracted::Document),
        ResponseFormat::Csv => tokio::task::spawn_blocking(move || {
            super::sheet::read_batch(
                &body,
                "answer.csv",
                &super::sheet::SheetOptions::csv(),
                &super::sheet::SheetLimits::default(),
            )
        })
        .await
        .map_err(|_| "reading the CSV answer failed".to_string())?
        .map(Extracted::Batch),
        ResponseFormat::Number => {
            let text = String::from_utf8_lossy(&body);
            let n = app::pipeline::parse_number(text.trim(), app::pipeline::Decimal::Point)
                .ok_or_else(|| {
                    let shown: String = text.trim().chars().take(40).collect();
                    format!("the answer is not a number: '{shown}'")
                })?;
            let mut row = Row::new();
            row.insert(
                "value".into(),
                serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number),
            );
            Ok(Extracted::Rows(vec![row]))
        }
    }
}

/// Parses JSON off the async workers (a large answer is CPU work).
async fn parse_json(body: Vec<u8>) -> Result<Value, String> {
    tokio::task::spawn_blocking(move || {
        serde_json::from_slice::<Value>(&body).map_err(|e| format!("the answer is not JSON: {e}"))
    })
    .await
    .map_err(|_| "reading the answer failed".to_string())?
}

/// Why one attempt failed, and whether another may succeed.
struct Failure {
    message: String,
    retry: bool,
    after: Option<Duration>,
}

async fn fetch_with_retries(
    client: &reqwest::Client,
    guard: &Guard,
    source: &HttpSource,
    url: &str,
    max_bytes: usize,
) -> Result<Answer, String> {
    let mut attempt = 0u8;
    loop {
        match fetch(client, guard, source, url, max_bytes).await {
            Ok(answer) => return Ok(answer),
            Err(failure) if failure.retry && attempt < source.retries => {
                attempt += 1;
                // 250 ms, 500 ms, 1 s … or what Retry-After asks, up to 10 s.
                let pause = failure
                    .after
                    .unwrap_or(Duration::from_millis(250 << (attempt - 1)))
                    .min(Duration::from_secs(10));
                tracing::debug!(attempt, pause_ms = pause.as_millis() as u64, "retrying");
                tokio::time::sleep(pause).await;
            }
            Err(failure) if attempt > 0 => {
                return Err(format!(
                    "{} (after {} attempts)",
                    failure.message,
                    attempt + 1
                ))
            }
            Err(failure) => return Err(failure.message),
        }
    }
}

/// Most redirects one request follows.
const MAX_REDIRECTS: usize = 5;

async fn fetch(
    client: &reqwest::Client,
    guard: &Guard,
    source: &HttpSource,
    url: &str,
    max_bytes: usize,
) -> Result<Answer, Failure> {
    let fail = |message: String| Failure {
        message,
        retry: false,
        after: None,
    };
    let timeout = Duration::from_millis(u64::from(source.timeout_ms));
    let own_origin = reqwest::Url::parse(&source.url)
        .map_err(|e| fail(format!("the URL is not valid: {e}")))?
        .origin();
    let mut url =
        reqwest::Url::parse(url).map_err(|e| fail(format!("the URL is not valid: {e}")))?;
    let mut method = source.method;
    // Whether the request is still the configured one: it stops being so for good when
    // it leaves the source's origin, even if a later redirect comes back.
    let mut as_configured = url.origin() == own_origin;
    let mut redirects = 0;
    // The client follows no redirect (see `outbound::client`): each is followed here,
    // checked by the guard, and sent as configured only within the source's origin.
    let response = loop {
        guard.check_url(&url).map_err(|why| match redirects {
            0 => fail(why),
            _ => fail(format!("{why} (after a redirect)")),
        })?;
        let request = if as_configured {
            configured(client, source, url.clone(), method).map_err(fail)?
        } else {
            client.get(foreign(source, url.clone()))
        };
        let response = request
            .timeout(timeout)
            .header(reqwest::header::ACCEPT, accept(source.format))
            .send()
            .await
            .map_err(|e| Failure {
                retry: refused_in(&e).is_none()
                    && (e.is_timeout() || e.is_connect() || e.is_request()),
                message: describe(&e, timeout),
                after: None,
            })?;
        let code = response.status().as_u16();
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .filter(|_| matches!(code, 301 | 302 | 303 | 307 | 308));
        let Some(location) = location else {
            break response;
        };
        redirects += 1;
        if redirects > MAX_REDIRECTS {
            return Err(fail(format!(
                "the source redirects more than {MAX_REDIRECTS} times"
            )));
        }
        let next = response
            .url()
            .join(location)
            .map_err(|_| fail("the source redirects to an address that is not a URL".into()))?;
        // 307 and 308 repeat the request as it was; the others turn it into a GET.
        if !matches!(code, 307 | 308) {
            method = HttpMethod::Get;
        }
        if as_configured && next.origin() != own_origin {
            if method == HttpMethod::Post {
                return Err(fail(format!(
                    "the source redirects its POST to another origin ({}); Wallboard sends \
                     the body and credentials only to the source's own origin: use the \
                     final URL instead",
                    host_of(next.as_str())
                )));
            }
            as_configured = false;
        }
        url = next;
    };
    let status = response.status();
    if !status.is_success() {
        let after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let hint = match status.as_u16() {
            401 | 403 => " (check the credentials)",
            404 => " (check the URL)",
            429 => " (too many requests; poll less often)",
            _ => "",
        };
        return Err(Failure {
            message: format!("the source answered HTTP {status}{hint}"),
            retry: status.is_server_error() || status.as_u16() == 429,
            after,
        });
    }
    let next_link = response
        .headers()
        .get_all(reqwest::header::LINK)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(next_from_link_header);
    let mut body = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| Failure {
            retry: e.is_timeout(),
            message: describe(&e, timeout),
            after: None,
        })?;
        if body.len() + chunk.len() > max_bytes {
            return Err(fail(format!(
                "the answer is larger than {} KiB",
                max_bytes / 1024
            )));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Answer { body, next_link })
}

/// The request as the author configured it: method, query, headers, auth and body.
fn configured(
    client: &reqwest::Client,
    source: &HttpSource,
    mut url: reqwest::Url,
    method: HttpMethod,
) -> Result<reqwest::RequestBuilder, String> {
    // A link or redirect may repeat the configured parameters; they are not doubled.
    let missing: Vec<&KeyValue> = source
        .query
        .iter()
        .filter(|kv| {
            !url.query_pairs()
                .any(|(k, v)| k == kv.name && v == kv.value)
        })
        .collect();
    if !missing.is_empty() {
        url.query_pairs_mut()
            .extend_pairs(missing.iter().map(|kv| (&kv.name, &kv.value)));
    }
    if let HttpAuth::ApiKeyParam { param, key } = &source.auth {
        let param = param.trim();
        let kept: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(k, _)| k != param)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        url.query_pairs_mut()
            .clear()
            .extend_pairs(kept)
            .append_pair(param, opened(key)?);
    }
    let mut request = match method {
        HttpMethod::Get => client.get(url),
        HttpMethod::Post => client.post(url),
    };
    for kv in &source.headers {
        request = request.header(kv.name.trim(), &kv.value);
    }
    request = match &source.auth {
        HttpAuth::None | HttpAuth::ApiKeyParam { .. } => request,
        HttpAuth::Bearer { token } => request.bearer_auth(opened(token)?),
        HttpAuth::Basic { user, password } => request.basic_auth(user, Some(opened(password)?)),
        HttpAuth::ApiKey { header, key } => request.header(header.trim(), opened(key)?),
    };
    if let Some(body) = source.body.as_ref().filter(|_| method == HttpMethod::Post) {
        let is_json = serde_json::from_str::<serde::de::IgnoredAny>(body).is_ok();
        request = request
            .header(
                reqwest::header::CONTENT_TYPE,
                if is_json {
                    "application/json"
                } else {
                    "text/plain; charset=utf-8"
                },
            )
            .body(body.clone());
    }
    Ok(request)
}

/// `url` as sent to another origin: without a user or password, and without any query
/// parameter named as a configured one or as the API key's (a link may repeat them).
fn foreign(source: &HttpSource, mut url: reqwest::Url) -> reqwest::Url {
    let _ = url.set_username("");
    let _ = url.set_password(None);
    let key_param = match &source.auth {
        HttpAuth::ApiKeyParam { param, .. } => Some(param.trim()),
        _ => None,
    };
    let private =
        |name: &str| Some(name) == key_param || source.query.iter().any(|kv| kv.name == name);
    if url.query_pairs().any(|(k, _)| private(&k)) {
        let kept: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(k, _)| !private(k))
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        if kept.is_empty() {
            url.set_query(None);
        } else {
            url.query_pairs_mut().clear().extend_pairs(kept);
        }
    }
    url
}

fn accept(format: ResponseFormat) -> &'static str {
    match format {
        ResponseFormat::Json => "application/json",
        ResponseFormat::Csv => "text/csv, text/plain;q=0.9, */*;q=0.5",
        ResponseFormat::Number => "text/plain, */*;q=0.5",
    }
}

fn opened(credential: &Credential) -> Result<&str, String> {
    match credential {
        Credential::Plain(value) => Ok(value),
        Credential::Sealed { .. } => Err("a credential is still sealed".into()),
    }
}

/// The `rel="next"` target of one `Link` header value.
fn next_from_link_header(value: &str) -> Option<String> {
    value.split(',').find_map(|part| {
        let (target, params) = part.split_once(';')?;
        let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
        params
            .split(';')
            .any(|p| {
                let p = p.trim().replace(' ', "");
                p == "rel=\"next\"" || p == "rel=next"
            })
            .then(|| target.to_string())
    })
}

fn host_of(url: &str) -> String {
    reqwest::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_default()
}

fn describe(err: &reqwest::Error, timeout: Duration) -> String {
    if let Some(refused) = refused_in(err) {
        refused
    } else if err.is_timeout() {
        format!(
            "the source did not answer within {} ms",
            timeout.as_millis()
        )
    } else if err.is_connect() {
        "the source cannot be reached (connection refused or no route)".into()
    } else if err.is_builder() {
        "the request cannot be made (check the headers and URL)".into()
    } else {
        "the request to the source failed".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_link_is_found_among_others() {
        let header = r#"<https://api.example.com/x?page=1>; rel="prev", <https://api.example.com/x?page=3>; rel="next""#;
        assert_eq!(
            next_from_link_header(header).as_deref(),
            Some("https://api.example.com/x?page=3")
        );
        assert_eq!(next_from_link_header("<x>; rel=\"last\""), None);
    }

    #[test]
    fn a_page_parameter_replaces_the_one_in_the_url() {
        let url = with_query("https://a.example/x?page=9&q=1", "page", "2").unwrap();
        assert_eq!(url, "https://a.example/x?q=1&page=2");
    }
}
