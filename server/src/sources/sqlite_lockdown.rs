//! What SQLite itself refuses on a SQLite source's connection, so that no spelling of a
//! query can reach past the one file it names.
//!
//! Before the source's query runs, the connection is locked down through SQLite's C API
//! (sqlx hands over the raw handle; the FFI is `libsqlite3-sys`, the copy sqlx links):
//! no database may be attached (`SQLITE_LIMIT_ATTACHED` 0), defensive mode is on, the
//! schema is untrusted and extension loading is off, and an authorizer allows reading
//! and nothing else — `ATTACH`, `DETACH`, `PRAGMA`, writes, schema changes,
//! transactions and `load_extension()` are denied when SQLite compiles the statement.
//! The query is then compiled once here: it must be exactly one statement (what
//! follows it may only be whitespace, comments and `;`) and SQLite must call it
//! read-only (`sqlite3_stmt_readonly`, which refuses `VACUUM`). The authorizer stays
//! installed while sqlx runs the query.

use libsqlite3_sys as ffi;
use std::cell::Cell;
use std::ffi::{c_char, c_int, c_void, CStr};
use std::ptr::{self, NonNull};

/// What is refused, for messages that say what the query did.
const REFUSED: &str = "a SQLite source is read-only: it runs one SELECT (or WITH … SELECT); \
                       ATTACH, DETACH, PRAGMA, VACUUM, writes, schema changes, transactions \
                       and load_extension() are refused";

/// Functions a source may not call even inside a SELECT.
const DENIED_FUNCTIONS: &[&str] = &[
    "load_extension",
    "fts3_tokenizer",
    "readfile",
    "writefile",
    "edit",
];

/// The refusal of `what` (an SQL word such as `ATTACH`).
pub fn refusal(what: &str) -> String {
    format!("SQLite refused {what}: {REFUSED}")
}

/// Whether SQLite's message is the authorizer's denial (which can also come while the
/// query runs: a table-valued PRAGMA compiles its PRAGMA only then).
pub fn is_denial(message: &str) -> bool {
    message == "not authorized"
}

/// Locks down the connection `db` and checks that `query` is one statement that only
/// reads.
///
/// # Safety
/// `db` must be an open connection nobody else uses until this returns (the caller
/// holds sqlx's `LockedSqliteHandle`), and it must stay open while the authorizer this
/// installs may run (the authorizer keeps no pointer to anything but static code).
pub unsafe fn lock_down(db: NonNull<ffi::sqlite3>, query: &str) -> Result<(), String> {
    let db = db.as_ptr();
    ffi::sqlite3_limit(db, ffi::SQLITE_LIMIT_ATTACHED, 0);
    for (op, on) in [
        (ffi::SQLITE_DBCONFIG_DEFENSIVE, 1),
        (ffi::SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0),
        (ffi::SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0),
    ] {
        let rc = ffi::sqlite3_db_config(db, op, on as c_int, ptr::null_mut::<c_int>());
        if rc != ffi::SQLITE_OK {
            return Err("SQLite cannot be locked down for this source (db_config failed)".into());
        }
    }
    // While the query is compiled here, the authorizer notes what it denied first.
    let denied: Cell<Option<String>> = Cell::new(None);
    ffi::sqlite3_set_authorizer(
        db,
        Some(authorize),
        &denied as *const Cell<Option<String>> as *mut c_void,
    );
    let checked = check_one_read(db, query, &denied);
    // From here on the authorizer keeps denying, with nowhere to note why.
    ffi::sqlite3_set_authorizer(db, Some(authorize), ptr::null_mut());
    checked
}

/// Compiles `query`: one statement, read-only, allowed by the authorizer.
unsafe fn check_one_read(
    db: *mut ffi::sqlite3,
    query: &str,
    denied: &Cell<Option<String>>,
) -> Result<(), String> {
    let bytes = query.as_bytes();
    let len = c_int::try_from(bytes.len()).map_err(|_| "the query is too long".to_string())?;
    let start = bytes.as_ptr() as *const c_char;
    let mut stmt: *mut ffi::sqlite3_stmt = ptr::null_mut();
    let mut tail: *const c_char = ptr::null();
    let rc = ffi::sqlite3_prepare_v2(db, start, len, &mut stmt, &mut tail);
    if rc != ffi::SQLITE_OK {
        ffi::sqlite3_finalize(stmt);
        return Err(match denied.take() {
            Some(what) => refusal(&what),
            None => format!("the database refused the query: {}", message(db)),
        });
    }
    if stmt.is_null() {
        return Err("the query holds no statement".into());
    }
    let read_only = ffi::sqlite3_stmt_readonly(stmt) != 0;
    ffi::sqlite3_finalize(stmt);
    if !read_only {
        return Err(refusal(&first_word(query).to_ascii_uppercase()));
    }
    // What follows the statement may hold only whitespace, comments and empty
    // statements: SQLite compiles each of those to no statement at all.
    let end = start.add(bytes.len());
    while tail < end {
        let offset = tail.offset_from(start) as usize;
        let left = end.offset_from(tail) as c_int;
        let mut next: *mut ffi::sqlite3_stmt = ptr::null_mut();
        let mut after: *const c_char = ptr::null();
        let rc = ffi::sqlite3_prepare_v2(db, tail, left, &mut next, &mut after);
        let more = rc != ffi::SQLITE_OK || !next.is_null();
        ffi::sqlite3_finalize(next);
        if more {
            return Err(format!(
                "the query holds more than one statement (the second starts at \
                 character {}): a source runs a single query, so remove what follows \
                 the first ';'",
                query[..offset].chars().count() + 1
            ));
        }
        if after <= tail {
            break;
        }
        tail = after;
    }
    Ok(())
}

/// The authorizer: reading is allowed, everything else denied.
unsafe extern "C" fn authorize(
    user: *mut c_void,
    action: c_int,
    arg1: *const c_char,
    arg2: *const c_char,
    _database: *const c_char,
    _trigger: *const c_char,
) -> c_int {
    let allowed = match action {
        ffi::SQLITE_SELECT | ffi::SQLITE_READ | ffi::SQLITE_RECURSIVE => true,
        // The function's name is the second argument.
        ffi::SQLITE_FUNCTION => {
            let name = text(arg2);
            !DENIED_FUNCTIONS
                .iter()
                .any(|f| f.eq_ignore_ascii_case(&name))
        }
        _ => false,
    };
    if allowed {
        return ffi::SQLITE_OK;
    }
    if let Some(denied) = (user as *const Cell<Option<String>>).as_ref() {
        let first = denied.take();
        denied.set(first.or_else(|| Some(describe(action, arg1, arg2))));
    }
    ffi::SQLITE_DENY
}

/// What a denied action was, in SQL words.
unsafe fn describe(action: c_int, arg1: *const c_char, arg2: *const c_char) -> String {
    match action {
        ffi::SQLITE_ATTACH => "ATTACH".into(),
        ffi::SQLITE_DETACH => "DETACH".into(),
        ffi::SQLITE_PRAGMA => format!("PRAGMA {}", text(arg1)),
        ffi::SQLITE_FUNCTION => format!("{}()", text(arg2)),
        ffi::SQLITE_INSERT => "INSERT".into(),
        ffi::SQLITE_UPDATE => "UPDATE".into(),
        ffi::SQLITE_DELETE => "DELETE".into(),
        ffi::SQLITE_TRANSACTION => format!("{} (a transaction)", text(arg1)),
        ffi::SQLITE_SAVEPOINT => "SAVEPOINT".into(),
        ffi::SQLITE_ALTER_TABLE => "ALTER TABLE".into(),
        ffi::SQLITE_REINDEX => "REINDEX".into(),
        ffi::SQLITE_ANALYZE => "ANALYZE".into(),
        ffi::SQLITE_CREATE_INDEX..=ffi::SQLITE_CREATE_VIEW
        | ffi::SQLITE_CREATE_VTABLE
        | ffi::SQLITE_DROP_INDEX..=ffi::SQLITE_DROP_VIEW
        | ffi::SQLITE_DROP_VTABLE => "a schema change (CREATE or DROP)".into(),
        _ => format!("an operation other than reading (SQLite action {action})"),
    }
}

unsafe fn text(p: *const c_char) -> String {
    if p.is_null() {
        String::new()
    } else {
        CStr::from_ptr(p).to_string_lossy().into_owned()
    }
}

unsafe fn message(db: *mut ffi::sqlite3) -> String {
    text(ffi::sqlite3_errmsg(db))
}

/// The statement's first keyword, after blanks and comments.
fn first_word(query: &str) -> &str {
    let mut rest = query;
    loop {
        rest = rest.trim_start();
        if let Some(comment) = rest.strip_prefix("--") {
            rest = comment.split_once('\n').map_or("", |(_, r)| r);
        } else if let Some(comment) = rest.strip_prefix("/*") {
            rest = comment.split_once("*/").map_or("", |(_, r)| r);
        } else {
            break;
        }
    }
    let end = rest
        .find(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .unwrap_or(rest.len());
    if end == 0 {
        "the statement"
    } else {
        &rest[..end]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An in-memory database with one table, locked down, and the outcome of `query`.
    fn locked(query: &str) -> Result<(), String> {
        unsafe {
            let mut db: *mut ffi::sqlite3 = ptr::null_mut();
            let name = c":memory:";
            assert_eq!(ffi::sqlite3_open(name.as_ptr(), &mut db), ffi::SQLITE_OK);
            let setup = c"CREATE TABLE t (n INTEGER); INSERT INTO t VALUES (1);";
            let rc = ffi::sqlite3_exec(db, setup.as_ptr(), None, ptr::null_mut(), ptr::null_mut());
            assert_eq!(rc, ffi::SQLITE_OK);
            let outcome = lock_down(NonNull::new(db).unwrap(), query);
            ffi::sqlite3_close(db);
            outcome
        }
    }

    #[test]
    fn a_plain_select_with_a_trailing_semicolon_and_comment_is_allowed() {
        assert_eq!(
            locked("SELECT n, count(*) FROM t; -- done\n ; /* end */"),
            Ok(())
        );
        assert_eq!(
            locked("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 3) SELECT * FROM c"),
            Ok(())
        );
    }

    #[test]
    fn a_second_statement_is_refused_even_when_it_only_reads() {
        let err = locked("SELECT 1; SELECT 2").unwrap_err();
        assert!(err.contains("more than one statement"), "{err}");
        assert!(err.contains("character 10"), "{err}");
    }

    #[test]
    fn attach_detach_pragma_and_writes_are_denied_by_the_authorizer() {
        for (query, named) in [
            ("ATTACH ':memory:' AS c", "ATTACH"),
            ("DETACH main", "DETACH"),
            ("PRAGMA writable_schema = ON", "PRAGMA writable_schema"),
            ("DELETE FROM t", "DELETE"),
            ("INSERT INTO t VALUES (2)", "INSERT"),
            ("CREATE TABLE u (x)", "schema change"),
            ("DROP TABLE t", "schema change"),
            ("BEGIN", "BEGIN"),
            ("SELECT load_extension('/tmp/evil')", "load_extension()"),
        ] {
            let err = locked(query).unwrap_err();
            assert!(
                err.contains(named) && err.contains("read-only"),
                "{query}: {err}"
            );
        }
    }

    #[test]
    fn vacuum_is_refused_as_a_statement_that_writes() {
        for query in ["VACUUM", "VACUUM INTO '/tmp/wallboard-never-written.db'"] {
            let err = locked(query).unwrap_err();
            assert!(err.contains("SQLite refused VACUUM"), "{query}: {err}");
        }
        assert!(!std::path::Path::new("/tmp/wallboard-never-written.db").exists());
    }

    #[test]
    fn the_first_keyword_skips_comments() {
        assert_eq!(first_word("  -- x\n/* y */ vacuum"), "vacuum");
        assert_eq!(first_word("(select 1)"), "the statement");
    }
}
