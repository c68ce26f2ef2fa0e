//! SQL sources are locked down per driver, through `preview_dataset` on a real server
//! against the real PostgreSQL, MariaDB and SQLite: one statement only, reading only
//! (writes, DDL, ATTACH and friends refused and nothing changed), a byte cap on what a
//! query returns, a length cap on its text, and the server still answering afterwards.

#[macro_use]
mod common;

use common::{spawn_app_env, Backend, TestApp};
use serde_json::{json, Value};

const KEY: &str = "q1w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6j7k8l9z0x1c=";

/// The byte budget of a dataset the servers here run with (1 MiB, the least allowed):
/// an SQL answer is read into columns within it.
const CAP: &str = "1048576";

async fn app_with(env: &[(&str, &str)]) -> TestApp {
    let mut all = vec![
        ("WALLBOARD_SECRET_KEY", KEY),
        ("WALLBOARD_PIPELINE_MAX_BYTES", CAP),
    ];
    all.extend_from_slice(env);
    spawn_app_env(Backend::Sqlite, &all).await
}

fn form(source: Value) -> Value {
    json!({"form": {"name": "t", "source": source, "refresh_ms": 1000}})
}

async fn preview_rows(app: &TestApp, source: Value) -> Vec<Value> {
    let (status, answer) = app.call("preview_dataset", form(source)).await;
    assert_eq!(status, 200, "{answer}");
    answer["sample"].as_array().cloned().unwrap_or_default()
}

/// The refusal's message (the call must answer 422).
async fn refusal(app: &TestApp, source: Value) -> String {
    let (status, answer) = app.call("preview_dataset", form(source)).await;
    assert_eq!(status, 422, "{answer}");
    answer["message"].as_str().unwrap_or_default().to_string()
}

async fn still_answers(app: &TestApp) {
    let (status, _) = app.get("/healthz").await;
    assert_eq!(status, 200, "/healthz answers after the refusal");
}

// --- SQLite ---

/// A SQLite file at `path` holding table `m` with `rows` rows.
async fn sqlite_file(path: &std::path::Path, rows: u32) {
    use sqlx::sqlite::SqliteConnectOptions;
    use sqlx::ConnectOptions;
    let mut conn = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .connect()
        .await
        .unwrap();
    sqlx::raw_sql("CREATE TABLE m (k TEXT, v REAL)")
        .execute(&mut conn)
        .await
        .unwrap();
    for i in 0..rows {
        sqlx::query("INSERT INTO m VALUES (?, ?)")
            .bind(format!("secret-{i}"))
            .bind(f64::from(i))
            .execute(&mut conn)
            .await
            .unwrap();
    }
}

fn sqlite_source(path: &std::path::Path, query: &str) -> Value {
    json!({"type": "sql", "driver": "sqlite", "database": path.to_str().unwrap(),
           "query": query, "timeout_ms": 2000, "max_rows": 10000})
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sqlite_query_that_attaches_another_file_is_refused_and_the_server_keeps_answering() {
    let allowed = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let file = allowed.path().join("metrics.db");
    let secret = elsewhere.path().join("secret.db");
    sqlite_file(&file, 2).await;
    sqlite_file(&secret, 1).await;
    let app = app_with(&[("WALLBOARD_SQLITE_DIRS", allowed.path().to_str().unwrap())]).await;
    let own = app.db.url.trim_start_matches("sqlite://").to_string();

    // The control: the same file reads.
    assert_eq!(
        preview_rows(&app, sqlite_source(&file, "SELECT k FROM m ORDER BY k")).await,
        [json!({"k": "secret-0"}), json!({"k": "secret-1"})]
    );
    // The exact request, at another file and at Wallboard's own database.
    for target in [secret.to_str().unwrap(), own.as_str()] {
        let query = format!("ATTACH '{target}' AS c; SELECT * FROM c.sqlite_master");
        let err = refusal(&app, sqlite_source(&file, &query)).await;
        assert!(
            err.contains("SQLite refused ATTACH") && err.contains("read-only"),
            "{err}"
        );
        still_answers(&app).await;
    }
    // ATTACH alone (one statement) is denied by SQLite's authorizer too.
    let query = format!("ATTACH '{}' AS c", secret.display());
    let err = refusal(&app, sqlite_source(&file, &query)).await;
    assert!(err.contains("SQLite refused ATTACH"), "{err}");
    still_answers(&app).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sqlite_source_runs_one_reading_statement_and_nothing_else() {
    let allowed = tempfile::tempdir().unwrap();
    let file = allowed.path().join("metrics.db");
    sqlite_file(&file, 2).await;
    let app = app_with(&[("WALLBOARD_SQLITE_DIRS", allowed.path().to_str().unwrap())]).await;
    let copy = allowed.path().join("copy.db");

    for (query, expected) in [
        ("SELECT 1; SELECT 2", "more than one statement"),
        ("SELECT k FROM m; DELETE FROM m", "more than one statement"),
        (
            "PRAGMA writable_schema = ON",
            "SQLite refused PRAGMA writable_schema",
        ),
        (
            "SELECT * FROM pragma_table_info('m')",
            "SQLite refused an operation other",
        ),
        ("VACUUM", "SQLite refused VACUUM"),
        (
            &format!("VACUUM INTO '{}'", copy.display()),
            "SQLite refused VACUUM",
        ),
        ("SELECT load_extension('/tmp/x')", "load_extension()"),
        ("DELETE FROM m", "SQLite refused DELETE"),
        ("DETACH main", "SQLite refused DETACH"),
    ] {
        let err = refusal(&app, sqlite_source(&file, query)).await;
        assert!(err.contains(expected), "{query}: {err}");
    }
    assert!(!copy.exists(), "VACUUM INTO wrote no file");
    assert_eq!(
        preview_rows(&app, sqlite_source(&file, "SELECT count(*) AS n FROM m")).await,
        [json!({"n": 2})],
        "nothing was deleted"
    );
    still_answers(&app).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sqlite_query_returning_more_than_the_byte_cap_is_stopped_with_the_cap_named() {
    let allowed = tempfile::tempdir().unwrap();
    let file = allowed.path().join("metrics.db");
    sqlite_file(&file, 1).await;
    let app = app_with(&[("WALLBOARD_SQLITE_DIRS", allowed.path().to_str().unwrap())]).await;
    let rows = |n: u32| {
        format!(
            "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < {n}) \
             SELECT n, printf('%.1000c', 'x') AS s FROM c"
        )
    };
    // 500 rows of ~1 KB fit in 1 MiB; 2,000 do not.
    let fits = preview_rows(&app, sqlite_source(&file, &rows(500))).await;
    assert_eq!(fits.len(), 500);
    assert_eq!(fits[0]["s"].as_str().unwrap().len(), 1000);
    let err = refusal(&app, sqlite_source(&file, &rows(2000))).await;
    assert!(
        err.contains("more than 1 MiB") && err.contains("WALLBOARD_PIPELINE_MAX_BYTES"),
        "{err}"
    );
    still_answers(&app).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_query_past_the_length_cap_is_refused_before_any_database_sees_it() {
    let allowed = tempfile::tempdir().unwrap();
    let file = allowed.path().join("metrics.db");
    sqlite_file(&file, 1).await;
    let app = app_with(&[("WALLBOARD_SQLITE_DIRS", allowed.path().to_str().unwrap())]).await;
    let long = format!("SELECT 1 -- {}", "x".repeat(20_000));
    let (status, answer) = app
        .call("preview_dataset", form(sqlite_source(&file, &long)))
        .await;
    assert_eq!(status, 422, "{answer}");
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .contains("a query is at most 20000"),
        "{answer}"
    );
    assert!(answer.to_string().contains("query"), "the field is named");
}

// --- MariaDB ---

fn mariadb_source(query: &str) -> Value {
    json!({"type": "sql", "driver": "mysql", "host": "127.0.0.1", "database": "test",
           "user": "root", "query": query, "timeout_ms": 2000, "max_rows": 10000})
}

async fn mariadb() -> sqlx::MySqlConnection {
    use sqlx::Connection;
    sqlx::MySqlConnection::connect("mysql://root@127.0.0.1:3306/test")
        .await
        .expect("MariaDB runs on 127.0.0.1:3306")
}

async fn mariadb_tables_named(conn: &mut sqlx::MySqlConnection, name: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM information_schema.tables \
         WHERE table_schema = 'test' AND table_name = ?",
    )
    .bind(name)
    .fetch_one(conn)
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn mariadb_refuses_a_second_statement_and_ddl_that_would_commit_implicitly() {
    let app = app_with(&[]).await;
    let mut conn = mariadb().await;
    let table = format!("wb_lock_{}", wallboard_server::new_id());
    let created = format!("{table}_new");
    sqlx::query(&format!("CREATE TABLE {table} (n INT)"))
        .execute(&mut conn)
        .await
        .unwrap();
    sqlx::query(&format!("INSERT INTO {table} VALUES (1), (2)"))
        .execute(&mut conn)
        .await
        .unwrap();

    // The control: sqlx's MySQL driver announces CLIENT_MULTI_STATEMENTS, so the text
    // protocol runs two statements. The source's query never goes that way.
    let both = sqlx::raw_sql("SELECT 1; SELECT 2")
        .fetch_all(&mut conn)
        .await
        .expect("the text protocol runs several statements");
    assert_eq!(both.len(), 2);

    let err = refusal(
        &app,
        mariadb_source(&format!("SELECT 1; DROP TABLE {table}")),
    )
    .await;
    assert!(err.contains("several separated by ';'"), "{err}");
    let err = refusal(
        &app,
        mariadb_source(&format!("SELECT 1; CREATE TABLE {created} (x INT)")),
    )
    .await;
    assert!(err.contains("refused the query"), "{err}");
    for ddl in [
        format!("CREATE TABLE {created} (x INT)"),
        format!("DROP TABLE {table}"),
        format!("TRUNCATE TABLE {table}"),
        format!("DELETE FROM {table}"),
    ] {
        let err = refusal(&app, mariadb_source(&ddl)).await;
        assert!(err.contains("READ ONLY"), "{ddl}: {err}");
    }
    assert_eq!(
        mariadb_tables_named(&mut conn, &created).await,
        0,
        "not created"
    );
    let left: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(left, 2, "the table is untouched");
    still_answers(&app).await;

    sqlx::query(&format!("DROP TABLE {table}"))
        .execute(&mut conn)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_mariadb_query_returning_more_than_the_byte_cap_is_stopped() {
    let app = app_with(&[]).await;
    let rows = |n: u32| {
        format!(
            "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < {n}) \
             SELECT n, REPEAT('x', 2000) AS s FROM c"
        )
    };
    // (MariaDB recurses at most 1,000 times: 400 rows of 2 KB fit in 1 MiB, 1,000 do not.)
    assert_eq!(
        preview_rows(&app, mariadb_source(&rows(400))).await.len(),
        400
    );
    let err = refusal(&app, mariadb_source(&rows(1000))).await;
    assert!(err.contains("more than 1 MiB"), "{err}");
}

// --- PostgreSQL ---

async fn pg_database() -> (String, sqlx::PgPool) {
    common::pg_scratch_database("wb_lock_").await
}

async fn pg_drop(name: &str) {
    use sqlx::Connection;
    let mut admin = sqlx::PgConnection::connect("postgres://postgres@127.0.0.1:5432/postgres")
        .await
        .unwrap();
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut admin)
        .await
        .ok();
}

fn pg_source(database: &str, query: &str) -> Value {
    json!({"type": "sql", "driver": "postgres", "host": "127.0.0.1", "database": database,
           "user": "postgres", "query": query, "timeout_ms": 2000, "max_rows": 10000})
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_refuses_a_second_statement_and_a_writing_cte_and_nothing_changes() {
    let app = app_with(&[]).await;
    let (db, pool) = pg_database().await;
    sqlx::raw_sql("CREATE TABLE t (n INT); INSERT INTO t VALUES (1), (2)")
        .execute(&pool)
        .await
        .unwrap();

    for query in ["SELECT 1; DELETE FROM t", "SELECT 1; COMMIT; DELETE FROM t"] {
        let err = refusal(&app, pg_source(&db, query)).await;
        assert!(err.contains("more than one statement"), "{query}: {err}");
    }
    for query in [
        "WITH d AS (DELETE FROM t RETURNING n) SELECT * FROM d",
        "WITH i AS (INSERT INTO t VALUES (3) RETURNING n) SELECT * FROM i",
        "CREATE TABLE u (x INT)",
    ] {
        let err = refusal(&app, pg_source(&db, query)).await;
        assert!(err.contains("read-only transaction"), "{query}: {err}");
    }
    let held: Vec<i32> = sqlx::query_scalar("SELECT n FROM t ORDER BY n")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(held, [1, 2], "nothing changed");
    let u: Option<String> = sqlx::query_scalar("SELECT to_regclass('u')::text")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(u, None, "no table was created");
    still_answers(&app).await;

    // The byte cap: 500 rows of 1 KB fit in 1 MiB, 2,000 do not.
    let rows = |n: u32| format!("SELECT n, repeat('x', 1000) AS s FROM generate_series(1, {n}) n");
    assert_eq!(
        preview_rows(&app, pg_source(&db, &rows(500))).await.len(),
        500
    );
    let err = refusal(&app, pg_source(&db, &rows(2000))).await;
    assert!(err.contains("more than 1 MiB"), "{err}");

    pool.close().await;
    pg_drop(&db).await;
}
