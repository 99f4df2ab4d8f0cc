//! Manager sessions, kept server-side so several server instances can share them, and the
//! record of failed sign-ins that throttling reads.
//!
//! Every method takes the time as `now`, so expiry and throttling windows are decided by the
//! caller's clock and tests can step through hours without waiting.

use async_trait::async_trait;
use std::time::Duration;

use sqlx::Row;
use uuid::Uuid;

use super::managers::manager_row;
use super::{Shared, on_conn, on_pool};
use crate::domain::time::Timestamp;
use crate::store::sessions::{random_token, token_hash};
use crate::store::{
    ManagerSession, NewSession, RecentFailures, SESSION_ABSOLUTE, SESSION_IDLE, SessionStore,
    StoreError,
};

/// `last_seen_at` is written at most this often per session, so reading pages costs no writes.
const TOUCH_AFTER: Duration = Duration::from_secs(60);

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

#[async_trait]
impl<S: Shared> SessionStore for S {
    async fn start_session(
        &self,
        manager_id: &str,
        replaces: Option<&str>,
        forget_failures_of: Option<&str>,
        now: Timestamp,
    ) -> Result<NewSession, StoreError> {
        let session = NewSession {
            token: random_token(),
            csrf: Uuid::new_v4().simple().to_string(),
        };
        let hash = token_hash(&session.token);
        let csrf = session.csrf.clone();
        let manager_id = manager_id.to_string();
        let replaces = replaces.map(token_hash);
        let forget = forget_failures_of.map(str::to_string);
        self.transaction(move |conn| {
                Box::pin(async move { on_conn!(conn, |conn| {
                    if let Some(old) = replaces {
                        sqlx::query("DELETE FROM manager_sessions WHERE token_hash = $1")
                            .bind(old)
                            .execute(&mut *conn)
                            .await?;
                    }
                    if let Some(account) = forget {
                        sqlx::query("DELETE FROM sign_in_failures WHERE account_key = $1")
                            .bind(account)
                            .execute(&mut *conn)
                            .await?;
                    }
                    sqlx::query("DELETE FROM manager_sessions WHERE last_seen_at < $1 OR created_at < $2")
                        .bind(now.millis() - millis(SESSION_IDLE))
                        .bind(now.millis() - millis(SESSION_ABSOLUTE))
                        .execute(&mut *conn)
                        .await?;
                    sqlx::query(
                        "INSERT INTO manager_sessions (token_hash, manager_id, csrf_token, created_at, last_seen_at)
                         VALUES ($1, $2, $3, $4, $4)",
                    )
                    .bind(hash)
                    .bind(manager_id)
                    .bind(csrf)
                    .bind(now.millis())
                    .execute(&mut *conn)
                    .await?;
                    Ok(())
                }) })
            })
            .await?;
        Ok(session)
    }

    async fn session(
        &self,
        token: &str,
        now: Timestamp,
    ) -> Result<Option<ManagerSession>, StoreError> {
        let hash = token_hash(token);
        let sql = "SELECT s.csrf_token, s.created_at AS session_created, s.last_seen_at,
                          m.id, m.email, m.name, m.role, m.enabled, m.created_at,
                          (SELECT generation FROM manager_generation) AS managers_generation
                   FROM manager_sessions s JOIN managers m ON m.id = s.manager_id
                   WHERE s.token_hash = $1";
        let found = on_pool!(self.pool(), |read| {
            let row = sqlx::query(sql).bind(&hash).fetch_optional(read).await?;
            match row {
                None => None,
                Some(row) => Some((
                    manager_row(&row)?,
                    row.try_get::<i64, _>("session_created")?,
                    row.try_get::<i64, _>("last_seen_at")?,
                    row.try_get::<String, _>("csrf_token")?,
                    row.try_get::<i64, _>("managers_generation")?,
                )),
            }
        });
        let Some((manager, created, last_seen, csrf, managers_generation)) = found else {
            return Ok(None);
        };
        let expired = now.millis() - last_seen > millis(SESSION_IDLE)
            || now.millis() - created > millis(SESSION_ABSOLUTE)
            || !manager.enabled;
        if expired {
            self.end_session(token).await?;
            return Ok(None);
        }
        if now.millis() - last_seen > millis(TOUCH_AFTER) {
            self.transaction(move |conn| {
                    Box::pin(async move { on_conn!(conn, |conn| {
                        sqlx::query("UPDATE manager_sessions SET last_seen_at = $1 WHERE token_hash = $2 AND last_seen_at < $1")
                            .bind(now.millis())
                            .bind(hash)
                            .execute(&mut *conn)
                            .await?;
                        Ok(())
                    }) })
                })
                .await?;
        }
        Ok(Some(ManagerSession {
            manager,
            csrf,
            managers_generation,
        }))
    }

    async fn end_session(&self, token: &str) -> Result<(), StoreError> {
        let hash = token_hash(token);
        self.transaction(move |conn| {
            Box::pin(async move {
                on_conn!(conn, |conn| {
                    sqlx::query("DELETE FROM manager_sessions WHERE token_hash = $1")
                        .bind(hash)
                        .execute(&mut *conn)
                        .await?;
                    Ok(())
                })
            })
        })
        .await
    }

    async fn session_count(&self, manager_id: &str) -> Result<i64, StoreError> {
        Ok(on_pool!(self.pool(), |read| sqlx::query_scalar(
            "SELECT COUNT(*) FROM manager_sessions WHERE manager_id = $1"
        )
        .bind(manager_id)
        .fetch_one(read)
        .await?))
    }

    async fn recent_sign_in_failures(
        &self,
        account_key: &str,
        client_key: &str,
        since: Timestamp,
    ) -> Result<RecentFailures, StoreError> {
        let account: Vec<i64> = on_pool!(self.pool(), |read| {
            sqlx::query_scalar(
            "SELECT at FROM sign_in_failures WHERE account_key = $1 AND at > $2 ORDER BY at DESC",
        )
        .bind(account_key)
        .bind(since.millis())
        .fetch_all(read)
        .await?
        });
        let client: Vec<i64> = on_pool!(self.pool(), |read| {
            sqlx::query_scalar(
            "SELECT at FROM sign_in_failures WHERE client_key = $1 AND at > $2 ORDER BY at DESC",
        )
        .bind(client_key)
        .bind(since.millis())
        .fetch_all(read)
        .await?
        });
        Ok(RecentFailures {
            account: account.into_iter().map(Timestamp).collect(),
            client: client.into_iter().map(Timestamp).collect(),
        })
    }

    async fn record_sign_in_failure(
        &self,
        account_key: &str,
        client_key: &str,
        at: Timestamp,
        forget_before: Timestamp,
    ) -> Result<(), StoreError> {
        let (account_key, client_key) = (account_key.to_string(), client_key.to_string());
        self.transaction(move |conn| {
                Box::pin(async move { on_conn!(conn, |conn| {
                    sqlx::query("DELETE FROM sign_in_failures WHERE at < $1")
                        .bind(forget_before.millis())
                        .execute(&mut *conn)
                        .await?;
                    sqlx::query("INSERT INTO sign_in_failures (account_key, client_key, at) VALUES ($1, $2, $3)")
                        .bind(account_key)
                        .bind(client_key)
                        .bind(at.millis())
                        .execute(&mut *conn)
                        .await?;
                    Ok(())
                }) })
            })
            .await
    }
}
