//! The storage suite, run against real SQLite and real PostgreSQL: every test below
//! exists once per backend.

#[macro_use]
mod common;

use app::model::{
    Append, Dashboard, DashboardId, DataSource, Dataset, DatasetId, Field, FieldKind, Frame,
    HttpSource, JsonPathExpr, PushMode, PushSource, PushTokenId, RefreshInterval, Row,
    SourceConfig, SourceId, WorkspaceId,
};
use common::{Backend, TestDb};
use serde_json::json;
use wallboard_server::storage::{
    Committed, PublishOutcome, PushWrite, SaveOutcome, SourcedDataset, Storage,
};

/// The first workspace (what existed before accounts is in it).
fn ws() -> WorkspaceId {
    WorkspaceId::parse("main").unwrap()
}

fn id() -> DashboardId {
    DashboardId::parse(wallboard_server::new_id()).unwrap()
}

async fn a_dashboard_round_trips(backend: Backend) {
    let db = TestDb::new(backend).await;
    let s = db.storage().await;
    let id = id();
    let d = Dashboard::new("Sales").unwrap();
    s.insert_dashboard(&ws(), &id, &d).await.unwrap();
    let stored = s.get_dashboard(&ws(), &id).await.unwrap().unwrap();
    assert_eq!(stored.dashboard, d);
    assert_eq!(stored.revision, 1);
    let list = s.list_dashboards(&ws()).await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].name, "Sales");
    assert!(s.get_dashboard(&ws(), &self::id()).await.unwrap().is_none());
}

async fn a_save_on_the_current_revision_increments_it(backend: Backend) {
    let db = TestDb::new(backend).await;
    let s = db.storage().await;
    let id = id();
    let mut d = Dashboard::new("A").unwrap();
    s.insert_dashboard(&ws(), &id, &d).await.unwrap();
    d.name = "B".into();
    assert_eq!(
        s.update_dashboard(&ws(), &id, &d, 1).await.unwrap(),
        SaveOutcome::Saved {
            revision: 2,
            published: false
        }
    );
    let stored = s.get_dashboard(&ws(), &id).await.unwrap().unwrap();
    assert_eq!((stored.revision, stored.dashboard.name.as_str()), (2, "B"));
}

async fn a_stale_save_is_refused_and_overwrites_nothing(backend: Backend) {
    let db = TestDb::new(backend).await;
    let s = db.storage().await;
    let id = id();
    let mut d = Dashboard::new("first").unwrap();
    s.insert_dashboard(&ws(), &id, &d).await.unwrap();
    d.name = "second".into();
    s.update_dashboard(&ws(), &id, &d, 1).await.unwrap();
    d.name = "stale".into();
    assert_eq!(
        s.update_dashboard(&ws(), &id, &d, 1).await.unwrap(),
        SaveOutcome::Conflict { current: 2 }
    );
    assert_eq!(
        s.get_dashboard(&ws(), &id)
            .await
            .unwrap()
            .unwrap()
            .dashboard
            .name,
        "second"
    );
    assert_eq!(
        s.update_dashboard(&ws(), &self::id(), &d, 1).await.unwrap(),
        SaveOutcome::NotFound
    );
}

async fn of_two_concurrent_saves_of_one_revision_exactly_one_wins(backend: Backend) {
    let db = TestDb::new(backend).await;
    let s = db.storage().await;
    let id = id();
    let d = Dashboard::new("x").unwrap();
    s.insert_dashboard(&ws(), &id, &d).await.unwrap();
    let saves = (0..8).map(|i| {
        let (s, id) = (s.clone(), id.clone());
        let mut d = d.clone();
        d.name = format!("writer {i}");
        tokio::spawn(async move { s.update_dashboard(&ws(), &id, &d, 1).await.unwrap() })
    });
    let outcomes = futures::future::join_all(saves).await;
    let won = outcomes
        .iter()
        .filter(|o| matches!(o.as_ref().unwrap(), SaveOutcome::Saved { .. }))
        .count();
    assert_eq!(won, 1, "{outcomes:?}");
    assert_eq!(
        s.get_dashboard(&ws(), &id).await.unwrap().unwrap().revision,
        2
    );
}

async fn another_workspace_cannot_see_or_change_a_dashboard(backend: Backend) {
    let db = TestDb::new(backend).await;
    let s = db.storage().await;
    let other = s.insert_workspace("Other").await.unwrap();
    let id = id();
    let d = Dashboard::new("Secret").unwrap();
    s.insert_dashboard(&ws(), &id, &d).await.unwrap();
    assert!(s.get_dashboard(&other, &id).await.unwrap().is_none());
    assert!(s.list_dashboards(&other).await.unwrap().is_empty());
    assert_eq!(
        s.update_dashboard(&other, &id, &Dashboard::new("Mine").unwrap(), 1)
            .await
            .unwrap(),
        SaveOutcome::NotFound
    );
    assert!(!s.delete_dashboard(&other, &id).await.unwrap());
    let kept = s.get_dashboard(&ws(), &id).await.unwrap().unwrap();
    assert_eq!(
        (kept.revision, kept.dashboard.name),
        (1, "Secret".to_string())
    );
}

async fn share_links_resolve_until_revoked_or_expired_and_die_with_their_dashboard(
    backend: Backend,
) {
    let db = TestDb::new(backend).await;
    let s = db.storage().await;
    let id = id();
    s.insert_dashboard(&ws(), &id, &Dashboard::new("x").unwrap())
        .await
        .unwrap();
    let link = s
        .insert_share_link(&id, "hash-1", None, None)
        .await
        .unwrap();
    let shared = s.shared_revision("hash-1").await.unwrap().unwrap();
    assert_eq!((shared.dashboard, shared.workspace), (id.clone(), ws()));
    assert_eq!(shared.link, link.id);
    assert_eq!(s.list_share_links(&id).await.unwrap(), vec![link.clone()]);
    s.count_share_view(&link.id).await.unwrap();
    let listed = s.list_share_links(&id).await.unwrap();
    assert_eq!(listed[0].views, 1);
    assert!(listed[0].last_view_ms.is_some());
    // Revoking needs the right dashboard.
    assert_eq!(
        s.revoke_share_link(&self::id(), &link.id).await.unwrap(),
        None
    );
    assert_eq!(
        s.revoke_share_link(&id, &link.id).await.unwrap().as_deref(),
        Some("hash-1")
    );
    assert_eq!(s.shared_revision("hash-1").await.unwrap(), None);
    assert!(s.list_share_links(&id).await.unwrap().is_empty());

    // Expired: no longer resolves.
    let past = wallboard_server::now_ms() - 1;
    s.insert_share_link(&id, "hash-2", Some(past), Some("$argon2id$x"))
        .await
        .unwrap();
    assert_eq!(s.shared_revision("hash-2").await.unwrap(), None);
    let future = wallboard_server::now_ms() + 60_000;
    s.insert_share_link(&id, "hash-3", Some(future), Some("$argon2id$x"))
        .await
        .unwrap();
    let shared = s.shared_revision("hash-3").await.unwrap().unwrap();
    assert_eq!(shared.password_hash.as_deref(), Some("$argon2id$x"));

    assert!(s.delete_dashboard(&ws(), &id).await.unwrap());
    assert_eq!(s.shared_revision("hash-3").await.unwrap(), None);
    assert!(!s.delete_dashboard(&ws(), &id).await.unwrap());
}

async fn sources_datasets_and_frames_are_kept(backend: Backend) {
    let db = TestDb::new(backend).await;
    let s = db.storage().await;
    let source = DataSource {
        id: SourceId::parse("src1").unwrap(),
        name: "api".into(),
        config: SourceConfig::Http(HttpSource::new("http://example.com/x").unwrap()),
    };
    let dataset = Dataset {
        id: DatasetId::parse("ds1").unwrap(),
        name: "sales".into(),
        source: source.id.clone(),
        path: JsonPathExpr::parse("$.v").unwrap(),
        fields: vec![Field {
            name: "value".into(),
            kind: FieldKind::Number,
        }],
        refresh: RefreshInterval::from_millis(5000).unwrap(),
        always_refresh: true,
        pipeline: Default::default(),
        columns: Default::default(),
        stale_after_secs: None,
    };
    s.insert_source_and_dataset(&ws(), &source, &dataset)
        .await
        .unwrap();
    assert_eq!(
        s.get_source(&source.id).await.unwrap(),
        Some(source.clone())
    );
    let sourced = SourcedDataset {
        workspace: ws(),
        dataset: dataset.clone(),
        source: source.clone(),
    };
    assert_eq!(s.list_datasets().await.unwrap(), vec![sourced.clone()]);
    assert_eq!(s.get_dataset(&dataset.id).await.unwrap(), Some(sourced));

    let mut frame = Frame::empty(dataset.id.clone());
    frame.seq = 1;
    s.save_frame(&frame).await.unwrap();
    frame.seq = 2;
    frame.error = Some("down".into());
    s.save_frame(&frame).await.unwrap();
    assert_eq!(s.load_frame(&dataset.id).await.unwrap(), Some(frame));

    // A dataset whose id is taken is refused and leaves no orphan source behind.
    let source2 = DataSource {
        id: SourceId::parse("src2").unwrap(),
        ..source
    };
    assert!(s
        .insert_source_and_dataset(&ws(), &source2, &dataset)
        .await
        .is_err());
    assert_eq!(s.get_source(&source2.id).await.unwrap(), None);
}

/// Stores a pushed dataset with fields `v` (number) and returns its id.
async fn pushed_dataset(s: &Storage, mode: PushMode) -> DatasetId {
    let source = DataSource {
        id: SourceId::parse(wallboard_server::new_id()).unwrap(),
        name: "push API".into(),
        config: SourceConfig::Push(PushSource { mode }),
    };
    let dataset = Dataset {
        id: DatasetId::parse(wallboard_server::new_id()).unwrap(),
        name: "pushed".into(),
        source: source.id.clone(),
        path: JsonPathExpr::parse("$").unwrap(),
        fields: vec![Field {
            name: "v".into(),
            kind: FieldKind::Number,
        }],
        refresh: RefreshInterval::from_millis(1000).unwrap(),
        always_refresh: false,
        pipeline: Default::default(),
        columns: Default::default(),
        stale_after_secs: None,
    };
    s.insert_source_and_dataset(&ws(), &source, &dataset)
        .await
        .unwrap();
    dataset.id
}

fn rows(values: std::ops::Range<i64>) -> Vec<Row> {
    values
        .map(|v| json!({ "v": v }).as_object().unwrap().clone())
        .collect()
}

async fn appended_rows_are_kept_up_to_the_limit_in_order(backend: Backend) {
    let db = TestDb::new(backend).await;
    let s = db.storage().await;
    let mode = PushMode::Append {
        max_rows: 5,
        max_age_secs: None,
    };
    let id = pushed_dataset(&s, mode).await;
    let write = |r| PushWrite {
        dataset: id.clone(),
        mode,
        rows: r,
    };
    let first = s.commit_pushes(&[write(rows(0..3))]).await.unwrap();
    assert_eq!(
        first,
        vec![Committed::Appended(Append {
            dataset: id.clone(),
            seq: 1,
            drop: 0,
            rows: rows(0..3),
            updated_at_ms: match &first[0] {
                Committed::Appended(a) => a.updated_at_ms,
                other => panic!("{other:?}"),
            },
        })]
    );
    let second = s.commit_pushes(&[write(rows(3..7))]).await.unwrap();
    let Committed::Appended(append) = &second[0] else {
        panic!("{second:?}")
    };
    assert_eq!((append.seq, append.drop), (2, 2));
    let frame = s.load_frame(&id).await.unwrap().unwrap();
    assert_eq!(frame.seq, 2);
    assert_eq!(frame.rows, rows(2..7));
    // The stored frame is what a viewer holding seq 1 gets by applying the append.
    let mut at_one = frame.clone();
    at_one.seq = 1;
    at_one.rows = rows(0..3);
    assert_eq!(at_one.after(append).unwrap().rows, frame.rows);
}

async fn a_replace_push_replaces_every_row(backend: Backend) {
    let db = TestDb::new(backend).await;
    let s = db.storage().await;
    let id = pushed_dataset(&s, PushMode::Replace).await;
    let write = |r| PushWrite {
        dataset: id.clone(),
        mode: PushMode::Replace,
        rows: r,
    };
    s.commit_pushes(&[write(rows(0..3))]).await.unwrap();
    s.commit_pushes(&[write(rows(7..8))]).await.unwrap();
    let frame = s.load_frame(&id).await.unwrap().unwrap();
    assert_eq!((frame.seq, frame.rows), (2, rows(7..8)));
}

async fn a_failed_group_commit_keeps_nothing(backend: Backend) {
    let db = TestDb::new(backend).await;
    let s = db.storage().await;
    let mode = PushMode::Append {
        max_rows: 100,
        max_age_secs: None,
    };
    let id = pushed_dataset(&s, mode).await;
    let good = PushWrite {
        dataset: id.clone(),
        mode,
        rows: rows(0..2),
    };
    // A dataset that does not exist breaks the foreign key: the whole batch fails.
    let bad = PushWrite {
        dataset: DatasetId::parse("zzz_missing").unwrap(),
        mode,
        rows: rows(0..1),
    };
    assert!(s.commit_pushes(&[good, bad]).await.is_err());
    assert_eq!(s.load_frame(&id).await.unwrap(), None);
}

async fn push_tokens_resolve_by_hash_until_revoked(backend: Backend) {
    let db = TestDb::new(backend).await;
    let s = db.storage().await;
    let id = pushed_dataset(&s, PushMode::Replace).await;
    let token = PushTokenId::parse("t1").unwrap();
    s.insert_push_token(&token, &id, "hash-1", "ci")
        .await
        .unwrap();
    assert_eq!(s.list_push_tokens(&id).await.unwrap()[0].label, "ci");
    let found = s.resolve_push_token("hash-1").await.unwrap().unwrap();
    assert_eq!((found.id, found.dataset), (token.clone(), id.clone()));
    assert!(s.resolve_push_token("hash-2").await.unwrap().is_none());
    assert!(s.revoke_push_token(&id, &token).await.unwrap());
    assert!(!s.revoke_push_token(&id, &token).await.unwrap());
    assert!(s.resolve_push_token("hash-1").await.unwrap().is_none());
    assert!(s.list_push_tokens(&id).await.unwrap().is_empty());
}

async fn a_one_time_task_is_claimed_once(backend: Backend) {
    let db = TestDb::new(backend).await;
    let s = db.storage().await;
    assert!(s.claim_meta("demo_seeded", "1").await.unwrap());
    assert!(!s.claim_meta("demo_seeded", "2").await.unwrap());
    assert_eq!(
        s.get_meta("demo_seeded").await.unwrap().as_deref(),
        Some("1")
    );
}

async fn migrations_run_twice_without_harm(backend: Backend) {
    let db = TestDb::new(backend).await;
    db.storage().await;
    let s = db.storage().await;
    s.ping().await.unwrap();
}

async fn screens_show_the_draft_until_published_then_the_published_version(backend: Backend) {
    let db = TestDb::new(backend).await;
    let s = db.storage().await;
    let id = id();
    let mut d = Dashboard::new("v1").unwrap();
    s.insert_dashboard(&ws(), &id, &d).await.unwrap();
    let shown = s.get_shown(&ws(), &id).await.unwrap().unwrap();
    assert_eq!((shown.dashboard.name.as_str(), shown.version), ("v1", None));

    let PublishOutcome::Published(first) =
        s.publish_dashboard(&ws(), &id, 1, "user:u1").await.unwrap()
    else {
        panic!("the first publish is refused")
    };
    assert_eq!((first.version, first.name.as_str()), (1, "v1"));
    assert_eq!(first.published_by, "user:u1");

    // The draft moves on; screens keep version 1, and a save says it is published.
    d.name = "v2".into();
    assert_eq!(
        s.update_dashboard(&ws(), &id, &d, 1).await.unwrap(),
        SaveOutcome::Saved {
            revision: 2,
            published: true
        }
    );
    let shown = s.get_shown(&ws(), &id).await.unwrap().unwrap();
    assert_eq!(
        (shown.dashboard.name.as_str(), shown.version, shown.revision),
        ("v1", Some(1), 2)
    );

    // A publish of a stale revision changes nothing.
    assert_eq!(
        s.publish_dashboard(&ws(), &id, 1, "user:u1").await.unwrap(),
        PublishOutcome::Conflict { current: 2 }
    );
    assert_eq!(
        s.get_shown(&ws(), &id).await.unwrap().unwrap().version,
        Some(1)
    );

    let PublishOutcome::Published(second) =
        s.publish_dashboard(&ws(), &id, 2, "user:u2").await.unwrap()
    else {
        panic!("the second publish is refused")
    };
    assert_eq!(second.version, 2);
    let shown = s.get_shown(&ws(), &id).await.unwrap().unwrap();
    assert_eq!(
        (shown.dashboard.name.as_str(), shown.version),
        ("v2", Some(2))
    );

    // The history, newest first, and any version's document.
    let listed: Vec<_> = s
        .list_versions(&ws(), &id, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|v| (v.version, v.name, v.published_by))
        .collect();
    assert_eq!(
        listed,
        vec![
            (2, "v2".to_string(), "user:u2".to_string()),
            (1, "v1".to_string(), "user:u1".to_string())
        ]
    );
    assert_eq!(s.list_versions(&ws(), &id, 1).await.unwrap().len(), 1);
    assert_eq!(
        s.get_version(&ws(), &id, 1).await.unwrap().unwrap().name,
        "v1"
    );
    assert!(s.get_version(&ws(), &id, 3).await.unwrap().is_none());
}

async fn versions_belong_to_their_workspace_and_die_with_their_dashboard(backend: Backend) {
    let db = TestDb::new(backend).await;
    let s = db.storage().await;
    let other = s.insert_workspace("Other").await.unwrap();
    let id = id();
    s.insert_dashboard(&ws(), &id, &Dashboard::new("Secret").unwrap())
        .await
        .unwrap();
    assert_eq!(
        s.publish_dashboard(&other, &id, 1, "user:x").await.unwrap(),
        PublishOutcome::NotFound
    );
    assert!(matches!(
        s.publish_dashboard(&ws(), &id, 1, "user:u").await.unwrap(),
        PublishOutcome::Published(_)
    ));
    assert!(s.get_shown(&other, &id).await.unwrap().is_none());
    assert!(s.list_versions(&other, &id, 10).await.unwrap().is_empty());
    assert!(s.get_version(&other, &id, 1).await.unwrap().is_none());
    assert!(!s.dashboard_exists(&other, &id).await.unwrap());
    assert!(s.dashboard_exists(&ws(), &id).await.unwrap());
    assert!(s.delete_dashboard(&ws(), &id).await.unwrap());
    assert!(s.list_versions(&ws(), &id, 10).await.unwrap().is_empty());
    assert!(s.get_version(&ws(), &id, 1).await.unwrap().is_none());
}

async fn a_publish_of_an_unchanged_draft_makes_no_new_version(backend: Backend) {
    let db = TestDb::new(backend).await;
    let s = db.storage().await;
    let id = id();
    s.insert_dashboard(&ws(), &id, &Dashboard::new("x").unwrap())
        .await
        .unwrap();
    // Six at once: one makes version 1; the others find it done (or, on PostgreSQL,
    // may lose the race for the number and say so); none makes a second version.
    let publishes = (0..6).map(|i| {
        let (s, id) = (s.clone(), id.clone());
        tokio::spawn(async move {
            s.publish_dashboard(&ws(), &id, 1, &format!("user:{i}"))
                .await
                .unwrap()
        })
    });
    let outcomes: Vec<PublishOutcome> = futures::future::join_all(publishes)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let published = outcomes
        .iter()
        .filter(|o| matches!(o, PublishOutcome::Published(_)))
        .count();
    assert_eq!(published, 1, "{outcomes:?}");
    assert!(outcomes.iter().all(|o| match o {
        PublishOutcome::Published(row) | PublishOutcome::Unchanged(row) => row.version == 1,
        PublishOutcome::Conflict { current } => *current == 1,
        PublishOutcome::NotFound => false,
    }));
    assert!(matches!(
        s.publish_dashboard(&ws(), &id, 1, "user:again").await.unwrap(),
        PublishOutcome::Unchanged(row) if row.version == 1 && row.published_by != "user:again"
    ));
    assert_eq!(s.list_versions(&ws(), &id, 10).await.unwrap().len(), 1);
}

on_both_backends!(
    screens_show_the_draft_until_published_then_the_published_version,
    versions_belong_to_their_workspace_and_die_with_their_dashboard,
    a_publish_of_an_unchanged_draft_makes_no_new_version,
    a_dashboard_round_trips,
    a_save_on_the_current_revision_increments_it,
    a_stale_save_is_refused_and_overwrites_nothing,
    of_two_concurrent_saves_of_one_revision_exactly_one_wins,
    another_workspace_cannot_see_or_change_a_dashboard,
    share_links_resolve_until_revoked_or_expired_and_die_with_their_dashboard,
    sources_datasets_and_frames_are_kept,
    appended_rows_are_kept_up_to_the_limit_in_order,
    a_replace_push_replaces_every_row,
    a_failed_group_commit_keeps_nothing,
    push_tokens_resolve_by_hash_until_revoked,
    a_one_time_task_is_claimed_once,
    migrations_run_twice_without_harm,
);

#[tokio::test]
async fn an_unreadable_row_is_skipped_not_fatal() {
    let db = TestDb::new(Backend::Sqlite).await;
    let s = db.storage().await;
    s.insert_dashboard(&ws(), &id(), &Dashboard::new("good").unwrap())
        .await
        .unwrap();
    let pool = sqlx::SqlitePool::connect(&db.url).await.unwrap();
    sqlx::query("INSERT INTO dashboards (id, name, document, revision, created_at, updated_at) VALUES ('bad', 'bad', '{\"schema_version\":99}', 1, 0, 0)")
        .execute(&pool)
        .await
        .unwrap();
    let list = s.list_dashboards(&ws()).await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].name, "good");
}
