//! Fetching a JSON document from an HTTP source: a timeout, a size cap on the body,
//! and errors that say what went wrong in words an author can act on.

use super::outbound::{refused_in, Guard};
use app::model::HttpSource;
use futures::StreamExt;
use std::time::Duration;

/// GETs `source.url` and returns the body. Logs name the host only: URLs may carry
/// credentials in their query.
#[tracing::instrument(skip_all, fields(host = %host_of(&source.url)))]
pub async fn fetch(
    client: &reqwest::Client,
    guard: &Guard,
    source: &HttpSource,
    max_bytes: usize,
) -> Result<Vec<u8>, String> {
    let timeout = Duration::from_millis(u64::from(source.timeout_ms));
    let url = reqwest::Url::parse(&source.url).map_err(|e| format!("the URL is not valid: {e}"))?;
    guard.check_url(&url)?;
    let response = client
        .get(url)
        .timeout(timeout)
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|e| describe(&e, timeout))?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!("the source answered HTTP {status}"));
    }
    let mut body = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| describe(&e, timeout))?;
        if body.len() + chunk.len() > max_bytes {
            return Err(format!(
                "the response is larger than {} KiB",
                max_bytes / 1024
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
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
    } else if err.is_redirect() {
        "the source redirects too often".into()
    } else {
        "the request to the source failed".into()
    }
}
