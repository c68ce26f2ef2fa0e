//! The storage suite, run against real SQLite and real PostgreSQL: every test below
//! exists once per backend.

mod common;

use app::model::{
    Dashboard, DashboardId, DataSource, Dataset, DatasetId, Field, FieldKind, Frame, HttpSource,
    JsonPathExpr, RefreshInterval, ShareToken, SourceConfig, SourceId,
};
use common::{Backend, TestDb};
use wallboard_server::storage::SaveOutcome;

fn id() -> DashboardId {
    DashboardId::parse(wallboard_server::new_id()).unwrap()
}

async fn a_dashboard_round_trips(backend: Backend) {
    let db = TestDb::new(backend).await;
    let s = db.storage().await;
    let id = id();
    let d = Dashboard::new("Sales").unwrap();
    s.insert_dashboard(&id, &d).await.unwrap();
    let stored = s.get_dashboard(&id).await.unwrap().unwrap();
    assert_eq!(stored.dashboard, d);
    assert_eq!(stored.revision, 1);
    let list = s.list_dashboards().await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].name, "Sales");
    assert!(s.get_dashboard(&self::id()).await.unwrap().is_none());
}

async fn a_save_on_the_current_revision_increments_it(backend: Backend) {
    let db = TestDb::new(backend).await;
    let s = db.storage().await;
    let id = id();
    let mut d = Dashboard::new("A").unwrap();
    s.insert_dashboard(&id, &d).await.unwrap();
    d.name = "B".into();
    assert_eq!(
        s.update_dashboard(&id, &d, 1).await.unwrap(),
        SaveOutcome::Saved { revision: 2 }
    );
    let stored = s.get_dashboard(&id).await.unwrap().unwrap();
    assert_eq!((stored.revision, stored.dashboard.name.as_str()), (2, "B"));
}

async fn a_stale_save_is_refused_and_overwrites_nothing(backend: Backend) {
    let db = TestDb::new(backend).await;
    let s = db.storage().await;
    let id = id();
    let mut d = Dashboard::new("first").unwrap();
    s.insert_dashboard(&id, &d).await.unwrap();
    d.name = "second".into();
    s.update_dashboard(&id, &d, 1).await.unwrap();
    d.name = "stale".into();
    assert_eq!(
        s.update_dashboard(&id, &d, 1).await.unwrap(),
        SaveOutcome::Conflict { current: 2 }
    );
    assert_eq!(
        s.get_dashboard(&id).await.unwrap().unwrap().dashboard.name,
        "second"
    );
    assert_eq!(
        s.update_dashboard(&self::id(), &d, 1).await.unwrap(),
        SaveOutcome::NotFound
    );
}

async fn of_two_concurrent_saves_of_one_revision_exactly_one_wins(backend: Backend) {
    let db = TestDb::new(backend).await;
    let s = db.storage().await;
    let id = id();
    let d = Dashboard::new("x").unwrap();
    s.insert_dashboard(&id, &d).await.unwrap();
    let saves = (0..8).map(|i| {
        let (s, id) = (s.clone(), id.clone());
        let mut d = d.clone();
        d.name = format!("writer {i}");
        tokio::spawn(async move { s.update_dashboard(&id, &d, 1).await.unwrap() })
    });
    let outcomes = futures::future::join_all(saves).await;
    let won = outcomes
        .iter()
        .filter(|o| matches!(o.as_ref().unwrap(), SaveOutcome::Saved { .. }))
        .count();
    assert_eq!(won, 1, "{outcomes:?}");
    assert_eq!(s.get_dashboard(&id).await.unwrap().unwrap().revision, 2);
}

async fn share_links_resolve_until_revoked_and_die_with_their_dashboard(backend: Backend) {
    let db = TestDb::new(backend).await;
    let s = db.storage().await;
    let id = id();
    s.insert_dashboard(&id, &Dashboard::new("x").unwrap())
        .await
        .unwrap();
    let token = ShareToken::parse("t0k3n_abcdefghijklmnopqrstuvwxyz0123456789AB").unwrap();
    s.insert_share_link(&id, &token).await.unwrap();
    assert_eq!(
        s.resolve_share_link(&token).await.unwrap(),
        Some(id.clone())
    );
    assert_eq!(s.list_share_links(&id).await.unwrap().len(), 1);
    // Revoking needs the right dashboard.
    assert!(!s.revoke_share_link(&self::id(), &token).await.unwrap());
    assert!(s.revoke_share_link(&id, &token).await.unwrap());
    assert_eq!(s.resolve_share_link(&token).await.unwrap(), None);
    assert!(s.list_share_links(&id).await.unwrap().is_empty());

    let other = ShareToken::parse("another_token_abcdefghijklmnopqrstuvwxyz012").unwrap();
    s.insert_share_link(&id, &other).await.unwrap();
    assert!(s.delete_dashboard(&id).await.unwrap());
    assert_eq!(s.resolve_share_link(&other).await.unwrap(), None);
    assert!(!s.delete_dashboard(&id).await.unwrap());
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
    };
    s.insert_source_and_dataset(&source, &dataset)
        .await
        .unwrap();
    assert_eq!(
        s.get_source(&source.id).await.unwrap(),
        Some(source.clone())
    );
    assert_eq!(s.list_datasets().await.unwrap(), vec![dataset.clone()]);
    assert_eq!(
        s.get_dataset(&dataset.id).await.unwrap(),
        Some(dataset.clone())
    );

    let mut frame = Frame::empty(dataset.id.clone());
    frame.seq = 1;
    s.save_frame(&frame).await.unwrap();
    frame.seq = 2;
    frame.error = Some("down".into());
    s.save_frame(&frame).await.unwrap();
    assert_eq!(s.load_frames().await.unwrap(), vec![frame]);

    // A dataset whose id is taken is refused and leaves no orphan source behind.
    let source2 = DataSource {
        id: SourceId::parse("src2").unwrap(),
        ..source
    };
    assert!(s
        .insert_source_and_dataset(&source2, &dataset)
        .await
        .is_err());
    assert_eq!(s.get_source(&source2.id).await.unwrap(), None);
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

macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test] async fn $name() { super::$name(super::Backend::Sqlite).await })*
        }
        mod postgres {
            $(#[tokio::test] async fn $name() { super::$name(super::Backend::Postgres).await })*
        }
    };
}

on_both_backends!(
    a_dashboard_round_trips,
    a_save_on_the_current_revision_increments_it,
    a_stale_save_is_refused_and_overwrites_nothing,
    of_two_concurrent_saves_of_one_revision_exactly_one_wins,
    share_links_resolve_until_revoked_and_die_with_their_dashboard,
    sources_datasets_and_frames_are_kept,
    a_one_time_task_is_claimed_once,
    migrations_run_twice_without_harm,
);

#[tokio::test]
async fn an_unreadable_row_is_skipped_not_fatal() {
    let db = TestDb::new(Backend::Sqlite).await;
    let s = db.storage().await;
    s.insert_dashboard(&id(), &Dashboard::new("good").unwrap())
        .await
        .unwrap();
    let pool = sqlx::SqlitePool::connect(&db.url).await.unwrap();
    sqlx::query("INSERT INTO dashboards (id, name, document, revision, created_at, updated_at) VALUES ('bad', 'bad', '{\"schema_version\":99}', 1, 0, 0)")
        .execute(&pool)
        .await
        .unwrap();
    let list = s.list_dashboards().await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].name, "good");
}
