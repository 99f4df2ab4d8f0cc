//! The PostgreSQL schema is the SQLite one: every table and column the SQLite migrations leave,
//! with the same kind of value (integer or text) and the same NOT NULL, so a table copies
//! column for column between them, and the two backends mean the same by each.

mod real_postgres;

use std::collections::BTreeMap;

use sqlx::{Connection, Row};

/// (table, column) to (kind, not null), for every table but sqlx's own.
type Columns = BTreeMap<(String, String), (&'static str, bool)>;

fn kind(declared: &str) -> &'static str {
    let t = declared.to_ascii_lowercase();
    if t.contains("int") {
        "integer"
    } else if t.contains("text") {
        "text"
    } else {
        panic!("a column of type {declared}: neither integer nor text")
    }
}

async fn sqlite_columns() -> Columns {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("s.db").display());
    let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
    sqlx::migrate!("./migrations/sqlite")
        .run(&mut conn)
        .await
        .unwrap();
    let rows = sqlx::query(
        "SELECT m.name AS t, p.name AS c, p.type AS ty, p.\"notnull\" AS nn, p.pk AS pk
         FROM sqlite_master m, pragma_table_info(m.name) p
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '_sqlx%'",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    rows.iter()
        .map(|r| {
            let ty: String = r.get("ty");
            // A primary key column never holds NULL on PostgreSQL; SQLite only says so when
            // declared NOT NULL.
            let not_null = r.get::<i64, _>("nn") == 1 || r.get::<i64, _>("pk") > 0;
            ((r.get("t"), r.get("c")), (kind(&ty), not_null))
        })
        .collect()
}

async fn postgres_columns() -> Columns {
    let url = real_postgres::cluster().new_database().await;
    let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
    sqlx::migrate!("./migrations/postgres")
        .run(&mut conn)
        .await
        .unwrap();
    let rows = sqlx::query(
        "SELECT table_name::text AS t, column_name::text AS c, data_type::text AS ty,
                is_nullable::text AS nullable
         FROM information_schema.columns
         WHERE table_schema = 'public' AND table_name NOT LIKE '_sqlx%'",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    rows.iter()
        .map(|r| {
            let ty: String = r.get("ty");
            let nullable: String = r.get("nullable");
            ((r.get("t"), r.get("c")), (kind(&ty), nullable == "NO"))
        })
        .collect()
}

#[tokio::test]
async fn postgres_has_every_table_and_column_of_sqlite_and_means_the_same() {
    let sqlite = sqlite_columns().await;
    let mut postgres = postgres_columns().await;
    // The one table of PostgreSQL's own: where ticket numbers come from when several instances
    // open tickets at once (SQLite's one writer takes the largest number plus one).
    postgres.retain(|(table, _), _| table != "ticket_number");
    let only_sqlite: Vec<_> = sqlite
        .keys()
        .filter(|k| !postgres.contains_key(*k))
        .collect();
    let only_postgres: Vec<_> = postgres
        .keys()
        .filter(|k| !sqlite.contains_key(*k))
        .collect();
    assert!(
        only_sqlite.is_empty() && only_postgres.is_empty(),
        "only in SQLite: {only_sqlite:?}; only in PostgreSQL: {only_postgres:?}"
    );
    let differ: Vec<_> = sqlite
        .iter()
        .filter(|(k, v)| postgres[*k] != **v)
        .map(|(k, v)| format!("{k:?}: SQLite {v:?}, PostgreSQL {:?}", postgres[k]))
        .collect();
    assert!(differ.is_empty(), "{differ:#?}");
    assert!(sqlite.len() > 150, "{} columns", sqlite.len());
}
