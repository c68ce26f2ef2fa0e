//! "Connect data": the form for a new dataset over an HTTP API, a SQL database or a
//! spreadsheet (uploaded or at a URL). "Test" reads the source once on the server and
//! shows its first rows; the pipeline editor below then previews every step on those
//! rows in the browser; "Create" stores the dataset (credentials are sealed by the
//! server and never come back) and hands it to the caller to bind. The same form edits
//! an existing dataset ("Save changes", tested first like a new one; a credential left
//! blank is kept) and deletes one.

use super::data::PushedForm;
use super::pipeline_editor::{pipeline_of, PipelineEditor, RowsTable, StepDraft};
use crate::api::{
    create_dataset, delete_dataset, preview_dataset, update_dataset, DatasetUpdated,
    EditableDataset,
};
use crate::model::{
    CellRange, Credential, DatasetForm, DatasetId, DatasetSummary, HttpAuth, HttpMethod,
    HttpSource, KeyValue, Pagination, Preview, ResponseFormat, SheetFile, SheetSource,
    SourceConfig, SqlDriver, SqlParam, SqlSource, UploadInfo,
};
use leptos::prelude::*;

/// `name=value` (or `Name: value`) per line.
fn pairs(text: &str, sep: char) -> Vec<KeyValue> {
    text.lines()
        .filter_map(|line| {
            let (name, value) = line.split_once(sep)?;
            Some(KeyValue {
                name: name.trim().to_string(),
                value: value.trim().to_string(),
            })
        })
        .filter(|kv| !kv.name.is_empty())
        .collect()
}

fn number<T: std::str::FromStr>(text: &str, what: &str) -> Result<T, String> {
    text.trim()
        .parse()
        .map_err(|_| format!("{what}: '{}' is not a whole number", text.trim()))
}

fn secret(text: String) -> Credential {
    Credential::Plain(text)
}

/// Everything the form holds, as signals.
#[derive(Clone, Copy)]
struct Fields {
    name: RwSignal<String>,
    kind: RwSignal<String>,
    refresh: RwSignal<String>,
    always: RwSignal<bool>,
    /// Seconds; empty: a few refresh intervals.
    stale_after: RwSignal<String>,
    // HTTP
    url: RwSignal<String>,
    method: RwSignal<String>,
    query: RwSignal<String>,
    headers: RwSignal<String>,
    body: RwSignal<String>,
    auth: RwSignal<String>,
    auth_user: RwSignal<String>,
    auth_secret: RwSignal<String>,
    auth_header: RwSignal<String>,
    auth_param: RwSignal<String>,
    format: RwSignal<String>,
    timeout: RwSignal<String>,
    retries: RwSignal<String>,
    paging: RwSignal<String>,
    page_next: RwSignal<String>,
    page_param: RwSignal<String>,
    page_max: RwSignal<String>,
    path: RwSignal<String>,
    // SQL
    driver: RwSignal<String>,
    host: RwSignal<String>,
    port: RwSignal<String>,
    database: RwSignal<String>,
    user: RwSignal<String>,
    password: RwSignal<String>,
    tls: RwSignal<bool>,
    sql: RwSignal<String>,
    params: RwSignal<String>,
    max_rows: RwSignal<String>,
    // Spreadsheet
    origin: RwSignal<String>,
    upload: RwSignal<Option<UploadInfo>>,
    sheet_url: RwSignal<String>,
    sheet: RwSignal<String>,
    header_row: RwSignal<String>,
    range: RwSignal<String>,
}

impl Fields {
    fn new() -> Self {
        let s = |v: &str| RwSignal::new(v.to_string());
        Self {
            name: s(""),
            kind: s("http"),
            refresh: s("10"),
            always: RwSignal::new(false),
            stale_after: s(""),
            url: s(""),
            method: s("GET"),
            query: s(""),
            headers: s(""),
            body: s(""),
            auth: s("none"),
            auth_user: s(""),
            auth_secret: s(""),
            auth_header: s("X-API-Key"),
            auth_param: s("api_key"),
            format: s("json"),
            timeout: s("5000"),
            retries: s("1"),
            paging: s("none"),
            page_next: s("$.next"),
            page_param: s("page"),
            page_max: s("10"),
            path: s("$"),
            driver: s("postgres"),
            host: s(""),
            port: s(""),
            database: s(""),
            user: s(""),
            password: s(""),
            tls: RwSignal::new(false),
            sql: s("SELECT "),
            params: s(""),
            max_rows: s("10000"),
            origin: s("upload"),
            upload: RwSignal::new(None),
            sheet_url: s(""),
            sheet: s(""),
            header_row: s("1"),
            range: s(""),
        }
    }

    /// The form filled from a dataset's settings (its credentials blank: write-only).
    fn from_form(form: &DatasetForm, upload: Option<UploadInfo>) -> Self {
        let f = Self::new();
        f.name.set(form.name.clone());
        let seconds = form.refresh_ms as f64 / 1000.0;
        f.refresh.set(if seconds.fract() == 0.0 {
            format!("{seconds:.0}")
        } else {
            seconds.to_string()
        });
        f.always.set(form.always_refresh);
        f.stale_after.set(stale_after_text(form.stale_after_secs));
        if !form.path.trim().is_empty() {
            f.path.set(form.path.clone());
        }
        let lines = |pairs: &[KeyValue], sep: &str| {
            pairs
                .iter()
                .map(|kv| format!("{}{sep}{}", kv.name, kv.value))
                .collect::<Vec<_>>()
                .join("\n")
        };
        let set_http = |http: &HttpSource| {
            f.method.set(match http.method {
                HttpMethod::Post => "POST".into(),
                HttpMethod::Get => "GET".into(),
            });
            f.query.set(lines(&http.query, "="));
            f.headers.set(lines(&http.headers, ": "));
            f.body.set(http.body.clone().unwrap_or_default());
            let auth = match &http.auth {
                HttpAuth::None => "none",
                HttpAuth::Bearer { .. } => "bearer",
                HttpAuth::Basic { user, .. } => {
                    f.auth_user.set(user.clone());
                    "basic"
                }
                HttpAuth::ApiKey { header, .. } => {
                    f.auth_header.set(header.clone());
                    "api_key"
                }
                HttpAuth::ApiKeyParam { param, .. } => {
                    f.auth_param.set(param.clone());
                    "api_key_param"
                }
            };
            f.auth.set(auth.into());
            f.format.set(
                match http.format {
                    ResponseFormat::Csv => "csv",
                    ResponseFormat::Number => "number",
                    ResponseFormat::Json => "json",
                }
                .into(),
            );
            f.timeout.set(http.timeout_ms.to_string());
            f.retries.set(http.retries.to_string());
            match &http.pagination {
                Some(Pagination::NextLink { next, max_pages }) => {
                    f.paging.set("next_link".into());
                    f.page_next.set(next.clone());
                    f.page_max.set(max_pages.to_string());
                }
                Some(Pagination::PageParam {
                    param, max_pages, ..
                }) => {
                    f.paging.set("page_param".into());
                    f.page_param.set(param.clone());
                    f.page_max.set(max_pages.to_string());
                }
                None => f.paging.set("none".into()),
            }
        };
        match &form.source {
            SourceConfig::Http(http) => {
                f.kind.set("http".into());
                f.url.set(http.url.clone());
                set_http(http);
            }
            SourceConfig::Sql(sql) => {
                f.kind.set("sql".into());
                f.driver.set(
                    match sql.driver {
                        SqlDriver::Mysql => "mysql",
                        SqlDriver::Sqlite => "sqlite",
                        SqlDriver::Postgres => "postgres",
                    }
                    .into(),
                );
                f.host.set(sql.host.clone());
                f.port
                    .set(sql.port.map(|p| p.to_string()).unwrap_or_default());
                f.database.set(sql.database.clone());
                f.user.set(sql.user.clone());
                f.tls.set(sql.require_tls);
                f.sql.set(sql.query.clone());
                f.params.set(
                    sql.params
                        .iter()
                        .map(|p| match &p.value {
                            serde_json::Value::String(text) => format!("{}={text}", p.name),
                            other => format!("{}={other}", p.name),
                        })
                        .collect::<Vec<_>>()
                        .join("\n"),
                );
                f.timeout.set(sql.timeout_ms.to_string());
                f.max_rows.set(sql.max_rows.to_string());
            }
            SourceConfig::Sheet(sheet) => {
                f.kind.set("sheet".into());
                match &sheet.file {
                    SheetFile::Upload { .. } => {
                        f.origin.set("upload".into());
                        f.upload.set(upload);
                    }
                    SheetFile::Url { http } => {
                        f.origin.set("url".into());
                        f.sheet_url.set(http.url.clone());
                        set_http(http);
                    }
                }
                f.sheet.set(sheet.sheet.clone().unwrap_or_default());
                f.header_row.set(sheet.header_row.to_string());
                f.range
                    .set(sheet.range.map(String::from).unwrap_or_default());
            }
            SourceConfig::Push(_) => {}
        }
        f
    }

    fn http(&self, url: String) -> Result<HttpSource, String> {
        let auth_secret = self.auth_secret.get_untracked();
        let mut http = HttpSource::get(&url);
        http.timeout_ms = number(&self.timeout.get_untracked(), "Timeout")?;
        http.method = if self.method.get_untracked() == "POST" {
            HttpMethod::Post
        } else {
            HttpMethod::Get
        };
        http.query = pairs(&self.query.get_untracked(), '=');
        http.headers = pairs(&self.headers.get_untracked(), ':');
        let body = self.body.get_untracked();
        http.body = (http.method == HttpMethod::Post && !body.trim().is_empty()).then_some(body);
        http.auth = match self.auth.get_untracked().as_str() {
            "bearer" => HttpAuth::Bearer {
                token: secret(auth_secret),
            },
            "basic" => HttpAuth::Basic {
                user: self.auth_user.get_untracked(),
                password: secret(auth_secret),
            },
            "api_key" => HttpAuth::ApiKey {
                header: self.auth_header.get_untracked(),
                key: secret(auth_secret),
            },
            "api_key_param" => HttpAuth::ApiKeyParam {
                param: self.auth_param.get_untracked(),
                key: secret(auth_secret),
            },
            _ => HttpAuth::None,
        };
        http.format = match self.format.get_untracked().as_str() {
            "csv" => ResponseFormat::Csv,
            "number" => ResponseFormat::Number,
            _ => ResponseFormat::Json,
        };
        http.retries = number(&self.retries.get_untracked(), "Retries")?;
        let max_pages = || number(&self.page_max.get_untracked(), "Most pages");
        http.pagination = match self.paging.get_untracked().as_str() {
            "next_link" => Some(Pagination::NextLink {
                next: self.page_next.get_untracked(),
                max_pages: max_pages()?,
            }),
            "page_param" => Some(Pagination::PageParam {
                param: self.page_param.get_untracked(),
                start: 1,
                max_pages: max_pages()?,
            }),
            _ => None,
        };
        Ok(http)
    }

    fn source(&self) -> Result<SourceConfig, String> {
        Ok(match self.kind.get_untracked().as_str() {
            "sql" => {
                let driver = match self.driver.get_untracked().as_str() {
                    "mysql" => SqlDriver::Mysql,
                    "sqlite" => SqlDriver::Sqlite,
                    _ => SqlDriver::Postgres,
                };
                let port = self.port.get_untracked();
                let password = self.password.get_untracked();
                SourceConfig::Sql(SqlSource {
                    driver,
                    host: self.host.get_untracked().trim().to_string(),
                    port: if port.trim().is_empty() {
                        None
                    } else {
                        Some(number(&port, "Port")?)
                    },
                    database: self.database.get_untracked(),
                    user: self.user.get_untracked(),
                    password: (!password.is_empty()).then(|| secret(password)),
                    require_tls: self.tls.get_untracked(),
                    query: self.sql.get_untracked(),
                    params: pairs(&self.params.get_untracked(), '=')
                        .into_iter()
                        .map(|kv| SqlParam {
                            value: serde_json::from_str(&kv.value)
                                .unwrap_or(serde_json::Value::String(kv.value.clone())),
                            name: kv.name.trim_start_matches(':').to_string(),
                        })
                        .collect(),
                    timeout_ms: number(&self.timeout.get_untracked(), "Timeout")?,
                    max_rows: number(&self.max_rows.get_untracked(), "Row cap")?,
                })
            }
            "sheet" => {
                let file = if self.origin.get_untracked() == "url" {
                    SheetFile::Url {
                        http: self.http(self.sheet_url.get_untracked())?,
                    }
                } else {
                    let info = self
                        .upload
                        .get_untracked()
                        .ok_or("choose a file to upload first")?;
                    SheetFile::Upload {
                        upload: info.id,
                        name: info.name,
                    }
                };
                let sheet = self.sheet.get_untracked();
                let range = self.range.get_untracked();
                SourceConfig::Sheet(SheetSource {
                    file,
                    format: None,
                    sheet: (!sheet.trim().is_empty()).then(|| sheet.trim().to_string()),
                    header_row: number(&self.header_row.get_untracked(), "Header row")?,
                    range: if range.trim().is_empty() {
                        None
                    } else {
                        Some(CellRange::parse(&range).map_err(|e| e.message)?)
                    },
                })
            }
            _ => SourceConfig::Http(self.http(self.url.get_untracked())?),
        })
    }

    fn stale_after_secs(&self) -> Result<Option<u32>, String> {
        parse_stale_after(&self.stale_after.get_untracked())
    }

    fn form(&self, steps: &[StepDraft]) -> Result<DatasetForm, String> {
        let source = self.source()?;
        let seconds: f64 = self.refresh.get_untracked().trim().parse().unwrap_or(0.0);
        let name = self.name.get_untracked();
        let form = DatasetForm {
            name: if name.trim().is_empty() {
                source.short_name()
            } else {
                name
            },
            source,
            path: self.path.get_untracked(),
            refresh_ms: (seconds * 1000.0).round() as u64,
            always_refresh: self.always.get_untracked(),
            pipeline: pipeline_of(steps)?,
            stale_after_secs: self.stale_after_secs()?,
        };
        form.parse().map_err(|e| e.to_string())?;
        Ok(form)
    }
}

/// Runs `work` (a save) with `busy` set meanwhile; its error, if any, goes to
/// `problem`.
pub(super) fn saving(
    busy: RwSignal<bool>,
    problem: RwSignal<Option<String>>,
    work: impl std::future::Future<Output = Result<(), crate::error::AppError>> + 'static,
) {
    problem.set(None);
    busy.set(true);
    leptos::task::spawn_local(async move {
        if let Err(e) = work.await {
            problem.try_set(Some(e.to_string()));
        }
        busy.try_set(false);
    });
}

/// A labelled text input bound to `value`.
#[component]
pub(super) fn Text(
    label: &'static str,
    name: &'static str,
    value: RwSignal<String>,
    #[prop(default = "")] placeholder: &'static str,
    #[prop(default = "text")] kind: &'static str,
) -> impl IntoView {
    view! {
        <label>
            {label}
            <input name=name type=kind placeholder=placeholder autocomplete="off" prop:value=value
                on:input=move |ev| value.set(event_target_value(&ev)) />
        </label>
    }
}

/// A labelled select bound to `value`: (value, label) options.
#[component]
fn Choice(
    label: &'static str,
    name: &'static str,
    value: RwSignal<String>,
    options: &'static [(&'static str, &'static str)],
) -> impl IntoView {
    view! {
        <label>
            {label}
            <select name=name on:change=move |ev| value.set(event_target_value(&ev))>
                {options.iter().map(|(v, l)| {
                    let v = *v;
                    view! { <option value=v selected=move || value.get() == v>{*l}</option> }
                }).collect_view()}
            </select>
        </label>
    }
}

/// The new-dataset form; `created` gets the dataset once it is stored. With `editing`,
/// the same form changes an existing dataset (`updated` gets what changed, `deleted`
/// its id if the author deletes it); a pushed one shows its own form (`PushedForm`).
#[component]
pub fn ConnectData(
    #[prop(optional, into)] created: Option<Callback<DatasetSummary>>,
    close: Callback<()>,
    #[prop(optional)] editing: Option<EditableDataset>,
    #[prop(optional, into)] updated: Option<Callback<DatasetUpdated>>,
    #[prop(optional, into)] deleted: Option<Callback<DatasetId>>,
) -> impl IntoView {
    let form_of = editing.as_ref().and_then(|e| e.form.as_ref());
    let f = match form_of {
        Some(form) => Fields::from_form(form, editing.as_ref().and_then(|e| e.upload.clone())),
        None => Fields::new(),
    };
    let steps = RwSignal::new(
        form_of
            .map(|form| {
                form.pipeline
                    .steps
                    .iter()
                    .enumerate()
                    .map(|(i, step)| StepDraft::from_step(i as u64, step))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default(),
    );
    let edit_id = StoredValue::new(editing.as_ref().map(|e| e.id.clone()));
    let pushed = editing.as_ref().is_some_and(|e| e.form.is_none());
    let push_editing = editing
        .as_ref()
        .and_then(|e| Some((e.id.clone(), e.push.clone()?)));
    // Credentials are write-only: an edit shows none, and one left blank is kept.
    let secret_hint: &'static str = if editing.as_ref().is_some_and(|e| e.has_credentials) {
        "unchanged; type to replace"
    } else {
        ""
    };
    let title = match &editing {
        Some(e) => format!("Edit dataset \u{201c}{}\u{201d}", e.name),
        None => "Connect data".to_string(),
    };
    let preview = RwSignal::new(None::<Preview>);
    let problem = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let sample = Signal::derive(move || {
        preview.with(|p| p.as_ref().map(|p| p.sample.clone()).unwrap_or_default())
    });

    let test = move |_| {
        // The server runs the pipeline too (on all rows, with jq and joins); a
        // pipeline still being written is left out.
        let form = match f.form(&steps.get_untracked()).or_else(|_| f.form(&[])) {
            Ok(form) => form,
            Err(e) => return problem.set(Some(e)),
        };
        problem.set(None);
        busy.set(true);
        leptos::task::spawn_local(async move {
            match preview_dataset(form, edit_id.get_value()).await {
                Ok(p) => {
                    preview.try_set(Some(p));
                }
                Err(e) => {
                    preview.try_set(None);
                    problem.try_set(Some(e.to_string()));
                }
            }
            busy.try_set(false);
        });
    };
    let create = move |_| {
        let form = match f.form(&steps.get_untracked()) {
            Ok(form) => form,
            Err(e) => return problem.set(Some(e)),
        };
        saving(busy, problem, async move {
            match edit_id.get_value() {
                Some(id) => update_dataset(id, form).await.map(|done| {
                    if let Some(updated) = updated {
                        updated.run(done);
                    }
                }),
                None => create_dataset(form).await.map(|dataset| {
                    if let Some(created) = created {
                        created.run(dataset);
                    }
                }),
            }
        });
    };
    let delete = move |_| {
        let Some(id) = edit_id.get_value() else {
            return;
        };
        let sure = window()
            .confirm_with_message("Delete this dataset? Its rows and push tokens go with it.")
            .unwrap_or(false);
        if !sure {
            return;
        }
        saving(busy, problem, async move {
            delete_dataset(id.clone()).await.map(|()| {
                if let Some(deleted) = deleted {
                    deleted.run(id);
                }
            })
        });
    };
    let on_file = move |ev: leptos::ev::Event| {
        problem.set(None);
        busy.set(true);
        let target = event_target::<web_sys::HtmlInputElement>(&ev);
        leptos::task::spawn_local(async move {
            match upload::send::<crate::model::UploadInfo>(target, "/api/v1/uploads").await {
                Ok(info) => {
                    f.sheet
                        .set(info.sheets.first().cloned().unwrap_or_default());
                    if f.name.get_untracked().is_empty() {
                        f.name.set(info.name.clone());
                    }
                    f.upload.set(Some(info));
                }
                Err(e) => problem.set(Some(e)),
            }
            busy.set(false);
        });
    };

    let http_fields = move |with_url: bool| {
        view! {
            {with_url.then(|| view! { <Text label="URL" name="http-url" value=f.url placeholder="https://api.example.com/v1/sales" /> })}
            <div class="row">
                <Choice label="Method" name="http-method" value=f.method options=&[("GET", "GET"), ("POST", "POST")] />
                <Choice label="Answer" name="http-format" value=f.format options=&[("json", "JSON"), ("csv", "CSV"), ("number", "A number")] />
                <Text label="Timeout (ms)" name="http-timeout" value=f.timeout kind="number" />
                <Text label="Retries" name="http-retries" value=f.retries kind="number" />
            </div>
            <label>"Query parameters (name=value per line; keys and tokens go in Auth)"
                <textarea name="http-query" rows="2" prop:value=f.query on:input=move |ev| f.query.set(event_target_value(&ev))></textarea>
            </label>
            <label>"Headers (Name: value per line; keys and tokens go in Auth)"
                <textarea name="http-headers" rows="2" prop:value=f.headers on:input=move |ev| f.headers.set(event_target_value(&ev))></textarea>
            </label>
            <Show when=move || f.method.get() == "POST">
                <label>"Body"
                    <textarea name="http-body" rows="3" prop:value=f.body on:input=move |ev| f.body.set(event_target_value(&ev))></textarea>
                </label>
            </Show>
            <div class="row">
                <Choice label="Auth" name="http-auth" value=f.auth options=&[("none", "None"), ("bearer", "Bearer token"), ("basic", "Basic"), ("api_key", "API key header"), ("api_key_param", "API key parameter")] />
                <Show when=move || f.auth.get() == "basic">
                    <Text label="User" name="auth-user" value=f.auth_user />
                </Show>
                <Show when=move || f.auth.get() == "api_key">
                    <Text label="Header" name="auth-header" value=f.auth_header />
                </Show>
                <Show when=move || f.auth.get() == "api_key_param">
                    <Text label="Parameter" name="auth-param" value=f.auth_param />
                </Show>
                <Show when=move || f.auth.get() != "none">
                    <Text label="Secret (write-only)" name="auth-secret" value=f.auth_secret kind="password" placeholder=secret_hint />
                </Show>
            </div>
        }
        .into_any()
    };

    let http_form = move || {
        view! {
                    {http_fields(true)}
                    <Show when=move || f.format.get() == "json">
                        <Text label="JSON path to the rows" name="http-path" value=f.path placeholder="$.data[*]" />
                        <div class="row">
                            <Choice label="Pages" name="http-paging" value=f.paging options=&[("none", "One page"), ("next_link", "Next link"), ("page_param", "Page number")] />
                            <Show when=move || f.paging.get() == "next_link">
                                <Text label="Next link at (empty: Link header)" name="page-next" value=f.page_next />
                            </Show>
                            <Show when=move || f.paging.get() == "page_param">
                                <Text label="Page parameter" name="page-param" value=f.page_param />
                            </Show>
                            <Show when=move || f.paging.get() != "none">
                                <Text label="Most pages" name="page-max" value=f.page_max kind="number" />
                            </Show>
                        </div>
                    </Show>
}.into_any()
    };
    let sql_form = move || {
        view! {
                    <div class="row">
                        <Choice label="Database" name="sql-driver" value=f.driver options=&[("postgres", "PostgreSQL"), ("mysql", "MySQL / MariaDB"), ("sqlite", "SQLite file")] />
                        <Show when=move || f.driver.get() != "sqlite">
                            <Text label="Host" name="sql-host" value=f.host placeholder="db.example.com" />
                            <Text label="Port" name="sql-port" value=f.port kind="number" />
                        </Show>
                    </div>
                    <div class="row">
                        <Text label="Database name or file" name="sql-database" value=f.database />
                        <Show when=move || f.driver.get() != "sqlite">
                            <Text label="User" name="sql-user" value=f.user />
                            <Text label="Password (write-only)" name="sql-password" value=f.password kind="password" placeholder=secret_hint />
                            <label class="inline"><input type="checkbox" name="sql-tls" prop:checked=f.tls on:change=move |ev| f.tls.set(event_target_checked(&ev)) />"Require TLS"</label>
                        </Show>
                    </div>
                    <label>"Query (read-only; :name for parameters)"
                        <textarea name="sql-query" rows="5" class="code" prop:value=f.sql on:input=move |ev| f.sql.set(event_target_value(&ev))></textarea>
                    </label>
                    <label>"Parameters (name=value per line)"
                        <textarea name="sql-params" rows="2" prop:value=f.params on:input=move |ev| f.params.set(event_target_value(&ev))></textarea>
                    </label>
                    <div class="row">
                        <Text label="Timeout (ms)" name="sql-timeout" value=f.timeout kind="number" />
                        <Text label="Row cap" name="sql-max-rows" value=f.max_rows kind="number" />
                    </div>
}.into_any()
    };
    let sheet_form = move || {
        view! {
                    <Choice label="File" name="sheet-origin" value=f.origin options=&[("upload", "Upload a file"), ("url", "From a URL (refreshed)")] />
                    <Show when=move || f.origin.get() == "upload">
                        <label>"CSV, TSV, XLSX, XLSB, XLS or ODS"
                            <input type="file" name="sheet-file" accept=".csv,.tsv,.xlsx,.xlsm,.xlsb,.xls,.ods" on:change=on_file />
                        </label>
                        {move || f.upload.get().map(|u| view! {
                            <p class="hint" data-testid="upload-info">{format!("{} · {} KB · {}", u.name, u.size.div_ceil(1024), u.sheets.len())}" sheet(s)"</p>
                        })}
                    </Show>
                    <Show when=move || f.origin.get() == "url">
                        <Text label="URL of a CSV or XLSX file" name="sheet-url" value=f.sheet_url placeholder="https://docs.google.com/…/pub?output=csv" />
                        {http_fields(false)}
                    </Show>
                    <div class="row">
                        <label>"Sheet"
                            <input name="sheet-name" list="sheet-names" prop:value=f.sheet on:input=move |ev| f.sheet.set(event_target_value(&ev)) />
                            <datalist id="sheet-names">
                                {move || f.upload.get().map(|u| u.sheets.into_iter().map(|s| view! { <option value=s /> }).collect_view())}
                            </datalist>
                        </label>
                        <Text label="Header row (0: none)" name="sheet-header" value=f.header_row kind="number" />
                        <Text label="Range" name="sheet-range" value=f.range placeholder="A1:F500" />
                    </div>
}.into_any()
    };
    let results = move || {
        preview.get().map(|p| view! {
                    <p class="hint" data-testid="preview-summary">{format!("Read {} rows in {} ms.", p.source_rows, p.read_ms)}</p>
                    <RowsTable rows=Signal::derive(move || preview.with(|p| p.as_ref().map(|p| p.sample.clone()).unwrap_or_default())) limit=8 />
                    {(!p.reports.is_empty() || p.pipeline_error.is_some()).then(|| view! {
                        <h4>"After the pipeline, on all rows (server)"</h4>
                        <p class="hint" data-testid="server-pipeline">{match &p.pipeline_error {
                            Some(e) => e.clone(),
                            None => format!("{} rows · steps: {}", p.total_rows, p.reports.iter().map(|r| if r.skipped { "off".to_string() } else { r.rows.to_string() }).collect::<Vec<_>>().join(" → ")),
                        }}</p>
                        <RowsTable rows=Signal::derive(move || preview.with(|p| p.as_ref().map(|p| p.rows.clone()).unwrap_or_default())) limit=8 />
                    })}
                }.into_any())
    };

    view! {
        <div class="connect-backdrop">
        <section class="connect" role="dialog" aria-label=title.clone() data-testid="connect-data">
            <header>
                <h2>{title.clone()}</h2>
                <button class="small" on:click=move |_| close.run(())>"Close"</button>
            </header>
            {push_editing.map(|editing| view! {
                <div class="connect-body">
                    <div class="connect-source">
                        <p class="hint">"A pushed dataset's rows come from the push API; its settings change here."</p>
                        <PushedForm editing updated=Callback::new(move |done: DatasetUpdated| {
                            if let Some(updated) = updated {
                                updated.run(done);
                            }
                        }) />
                        <div class="actions">
                            <button class="danger" on:click=delete disabled=busy data-testid="delete-dataset">"Delete dataset"</button>
                        </div>
                        {move || problem.get().map(|p| view! { <p class="problem" role="alert" data-testid="delete-problem">{p}</p> })}
                    </div>
                </div>
            })}
            <Show when=move || !pushed>
            <div class="connect-body">
            <div class="connect-source">
                <div class="tabs" role="tablist">
                    {[("http", "HTTP API"), ("sql", "SQL database"), ("sheet", "Spreadsheet"), ("push", "Pushed")]
                        .into_iter()
                        .filter(|(k, _)| edit_id.with_value(Option::is_none) || *k != "push")
                        .map(|(k, label)| view! {
                        <button role="tab" class:active=move || f.kind.get() == k aria-selected=move || (f.kind.get() == k).to_string()
                            data-testid=format!("tab-{k}") on:click=move |_| { f.kind.set(k.to_string()); preview.set(None); }>{label}</button>
                    }).collect_view()}
                </div>
                <Show when=move || f.kind.get() == "push">
                    <PushedForm created=Callback::new(move |dataset: DatasetSummary| {
                        if let Some(created) = created {
                            created.run(dataset);
                        }
                    }) />
                </Show>
                <Show when=move || f.kind.get() != "push">
                <Text label="Name" name="dataset-name" value=f.name placeholder="Sales by region" />
                <Show when=move || f.kind.get() == "http">
                    {http_form}
                </Show>
                <Show when=move || f.kind.get() == "sql">
                    {sql_form}
                </Show>
                <Show when=move || f.kind.get() == "sheet">
                    {sheet_form}
                </Show>
                <div class="row">
                    <Text label="Refresh every (s)" name="dataset-refresh" value=f.refresh kind="number" />
                    <Text label="Stale after (s); empty: a few refreshes" name="dataset-stale-after" value=f.stale_after kind="number" />
                    <label class="inline"><input type="checkbox" name="dataset-always" prop:checked=f.always on:change=move |ev| f.always.set(event_target_checked(&ev)) />"Refresh even when no screen shows it"</label>
                </div>
                <div class="actions">
                    <button on:click=test disabled=busy data-testid="test-source">"Test"</button>
                    {if edit_id.with_value(Option::is_some) {
                        view! {
                            <button class="primary" on:click=create disabled=move || busy.get() || preview.with(Option::is_none) data-testid="save-dataset">"Save changes"</button>
                            <button class="danger" on:click=delete disabled=busy data-testid="delete-dataset">"Delete dataset"</button>
                        }.into_any()
                    } else {
                        view! {
                            <button class="primary" on:click=create disabled=move || busy.get() || preview.with(Option::is_none) data-testid="create-dataset">"Create dataset"</button>
                        }.into_any()
                    }}
                </div>
                {move || problem.get().map(|p| view! { <p class="problem" role="alert" data-testid="connect-problem">{p}</p> })}
                {results}
                </Show>
            </div>
            <div class="connect-pipeline">
                <Show when=move || preview.with(Option::is_some) fallback=|| view! { <p class="hint">"Test the source to shape its rows here."</p> }>
                    <PipelineEditor steps sample />
                </Show>
            </div>
            </div>
            </Show>
        </section>
        </div>
    }
}

/// Sending a chosen file to an upload endpoint (`/api/v1/uploads`, `/api/v1/images`),
/// in the browser only.
pub(crate) mod upload {
    use serde::de::DeserializeOwned;

    pub async fn send<T: DeserializeOwned>(
        input: web_sys::HtmlInputElement,
        endpoint: &str,
    ) -> Result<T, String> {
        imp(input, endpoint).await
    }

    #[cfg(feature = "hydrate")]
    async fn imp<T: DeserializeOwned>(
        input: web_sys::HtmlInputElement,
        endpoint: &str,
    ) -> Result<T, String> {
        use wasm_bindgen::JsCast;
        use wasm_bindgen_futures::JsFuture;
        let file = input
            .files()
            .and_then(|files| files.get(0))
            .ok_or("choose a file")?;
        let init = web_sys::RequestInit::new();
        init.set_method("POST");
        init.set_body(&file);
        let headers = web_sys::Headers::new().map_err(|_| "the browser refused the upload")?;
        headers
            .set("Content-Type", "application/octet-stream")
            .map_err(|_| "the browser refused the upload")?;
        init.set_headers(&headers);
        let url = format!(
            "{endpoint}?name={}",
            js_sys::encode_uri_component(&file.name())
        );
        let window = web_sys::window().ok_or("no window")?;
        let response: web_sys::Response =
            JsFuture::from(window.fetch_with_str_and_init(&url, &init))
                .await
                .map_err(|_| "the upload did not reach the server")?
                .dyn_into()
                .map_err(|_| "the upload failed")?;
        let text = JsFuture::from(response.text().map_err(|_| "the upload failed")?)
            .await
            .ok()
            .and_then(|t| t.as_string())
            .unwrap_or_default();
        if response.ok() {
            serde_json::from_str(&text).map_err(|e| format!("the server's answer: {e}"))
        } else {
            let message = serde_json::from_str::<serde_json::Value>(&text)
                .ok()
                .and_then(|v| v["message"].as_str().map(str::to_string))
                .unwrap_or(text);
            Err(message)
        }
    }

    #[cfg(not(feature = "hydrate"))]
    async fn imp<T: DeserializeOwned>(_: web_sys::HtmlInputElement, _: &str) -> Result<T, String> {
        Err("uploads run in the browser".into())
    }
}

/// A "stale after" as typed: empty for none, else whole seconds within the bounds.
pub(super) fn parse_stale_after(text: &str) -> Result<Option<u32>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let secs = text
        .parse()
        .map_err(|_| "stale after: whole seconds, or empty".to_string())?;
    crate::model::validate_stale_after(Some(secs)).map_err(|e| e.to_string())?;
    Ok(Some(secs))
}

/// A "stale after" as the form shows it: empty for none.
pub(super) fn stale_after_text(secs: Option<u32>) -> String {
    secs.map(|s| s.to_string()).unwrap_or_default()
}
