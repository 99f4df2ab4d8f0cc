//! Manager accounts and the domain routes that send "Account Manager" escalations to them.

use std::sync::{Arc, RwLock};

use async_trait::async_trait;

use sqlx::Row;
use uuid::Uuid;

use super::{Conn, Shared, on_conn, on_pool};
use crate::domain::manager::{ManagerEmail, Role};
use crate::domain::time::Timestamp;
use crate::store::{
    AccountChange, DomainRoute, HandOver, ManagerCredentials, ManagerRecord, ManagerStore,
    NewManager, StoreError,
};

/// The list of managers as last read, kept in memory with the generation it reflects (the
/// `manager_generation` table, bumped by triggers on every change to `managers`): the console
/// shows the list on its busiest pages, and it changes rarely. The generation a page asks for
/// comes from the database with the manager's session, so a change another instance made is
/// never served from here.
#[derive(Debug, Clone, Default)]
pub(in crate::store) struct ManagerCache(Arc<RwLock<Option<KeptManagers>>>);

/// The list of managers and the generation it was read at.
#[derive(Debug)]
struct KeptManagers {
    generation: i64,
    list: Vec<ManagerRecord>,
}

const MANAGER_COLUMNS: &str = "id, email, name, role, enabled, created_at";

pub(in crate::store) fn manager_row<R>(row: &R) -> Result<ManagerRecord, sqlx::Error>
where
    R: Row,
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    i64: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    String: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let role: String = row.try_get("role")?;
    Ok(ManagerRecord {
        id: row.try_get("id")?,
        email: row.try_get("email")?,
        name: row.try_get("name")?,
        role: Role::from_name(&role)
            .ok_or_else(|| sqlx::Error::Decode(format!("unknown role {role}").into()))?,
        enabled: row.try_get::<i64, _>("enabled")? != 0,
        created_at: Timestamp(row.try_get("created_at")?),
    })
}

/// Deletes every session of a manager, on the writer's connection.
pub(in crate::store) async fn end_sessions_on(
    conn: Conn<'_>,
    manager_id: &str,
) -> Result<(), StoreError> {
    on_conn!(conn, |conn| {
        sqlx::query("DELETE FROM manager_sessions WHERE manager_id = $1")
            .bind(manager_id)
            .execute(&mut *conn)
            .await?;
        Ok(())
    })
}

/// Whether a manager with this id exists, read inside a writer job.
async fn manager_exists_on(conn: Conn<'_>, manager_id: &str) -> Result<bool, StoreError> {
    on_conn!(conn, |conn| {
        let id: Option<String> = sqlx::query_scalar("SELECT id FROM managers WHERE id = $1")
            .bind(manager_id)
            .fetch_optional(&mut *conn)
            .await?;
        Ok(id.is_some())
    })
}

/// Whether changing `manager_id` (to a non-admin or disabled) would leave no enabled admin.
async fn is_last_admin(conn: Conn<'_>, manager_id: &str) -> Result<bool, StoreError> {
    on_conn!(conn, |conn| {
        let others: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM managers WHERE role = 'admin' AND enabled = 1 AND id <> $1",
        )
        .bind(manager_id)
        .fetch_one(&mut *conn)
        .await?;
        let this_is_one: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM managers WHERE id = $1 AND role = 'admin' AND enabled = 1",
        )
        .bind(manager_id)
        .fetch_one(&mut *conn)
        .await?;
        Ok(others == 0 && this_is_one == 1)
    })
}

#[async_trait]
impl<S: Shared> ManagerStore for S {
    async fn add_manager(&self, new: NewManager) -> Result<Option<ManagerRecord>, StoreError> {
        self.transaction(move |conn| {
                Box::pin(async move { on_conn!(conn, |conn| {
                    let taken: Option<String> = sqlx::query_scalar("SELECT id FROM managers WHERE email = $1")
                        .bind(new.email.as_str())
                        .fetch_optional(&mut *conn)
                        .await?;
                    if taken.is_some() {
                        return Ok(None);
                    }
                    let manager = ManagerRecord {
                        id: Uuid::new_v4().to_string(),
                        email: new.email.as_str().to_string(),
                        name: new.name,
                        role: new.role,
                        enabled: true,
                        created_at: Timestamp::now(),
                    };
                    sqlx::query(
                        "INSERT INTO managers (id, email, name, role, password_hash, enabled, created_at, updated_at)
                         VALUES ($1, $2, $3, $4, $5, 1, $6, $6)",
                    )
                    .bind(&manager.id)
                    .bind(&manager.email)
                    .bind(&manager.name)
                    .bind(manager.role.as_str())
                    .bind(&new.password_hash)
                    .bind(manager.created_at.millis())
                    .execute(&mut *conn)
                    .await?;
                    Ok(Some(manager))
                }) })
            })
            .await
    }

    async fn managers(&self) -> Result<Vec<ManagerRecord>, StoreError> {
        let sql = format!("SELECT {MANAGER_COLUMNS} FROM managers ORDER BY name, email");
        on_pool!(self.pool(), |read| {
            let rows = sqlx::query(&sql).fetch_all(read).await?;
            Ok(rows.iter().map(manager_row).collect::<Result<_, _>>()?)
        })
    }

    async fn managers_as_of(&self, generation: i64) -> Result<Vec<ManagerRecord>, StoreError> {
        if let Some(kept) = &*self.manager_cache().0.read().expect("manager cache lock")
            && kept.generation >= generation
        {
            return Ok(kept.list.clone());
        }
        // The generation and the list from one statement, so they agree.
        let sql = format!(
            "SELECT (SELECT generation FROM manager_generation) AS generation, {MANAGER_COLUMNS}
             FROM managers ORDER BY name, email"
        );
        let (list, generation) = on_pool!(self.pool(), |read| {
            let rows = sqlx::query(&sql).fetch_all(read).await?;
            let list = rows
                .iter()
                .map(manager_row)
                .collect::<Result<Vec<_>, _>>()?;
            let generation: Option<i64> =
                rows.first().map(|r| r.try_get("generation")).transpose()?;
            (list, generation)
        });
        if let Some(generation) = generation {
            let mut kept = self.manager_cache().0.write().expect("manager cache lock");
            // Another request may have kept a newer list meanwhile.
            if kept.as_ref().is_none_or(|k| k.generation < generation) {
                *kept = Some(KeptManagers {
                    generation,
                    list: list.clone(),
                });
            }
        }
        Ok(list)
    }

    async fn manager(&self, id: &str) -> Result<Option<ManagerRecord>, StoreError> {
        let sql = format!("SELECT {MANAGER_COLUMNS} FROM managers WHERE id = $1");
        on_pool!(self.pool(), |read| {
            let row = sqlx::query(&sql).bind(id).fetch_optional(read).await?;
            Ok(row.as_ref().map(manager_row).transpose()?)
        })
    }

    async fn manager_credentials(
        &self,
        email: &ManagerEmail,
    ) -> Result<Option<ManagerCredentials>, StoreError> {
        let sql = format!("SELECT {MANAGER_COLUMNS}, password_hash FROM managers WHERE email = $1");
        on_pool!(self.pool(), |read| {
            let row = sqlx::query(&sql)
                .bind(email.as_str())
                .fetch_optional(read)
                .await?;
            let Some(row) = row else { return Ok(None) };
            Ok(Some(ManagerCredentials {
                manager: manager_row(&row)?,
                password_hash: row.try_get("password_hash")?,
            }))
        })
    }

    async fn set_password(
        &self,
        email: &ManagerEmail,
        password_hash: String,
    ) -> Result<bool, StoreError> {
        let email = email.as_str().to_string();
        self.transaction(move |conn| {
            Box::pin(async move {
                on_conn!(conn, |conn| {
                    let id: Option<String> =
                        sqlx::query_scalar("SELECT id FROM managers WHERE email = $1")
                            .bind(&email)
                            .fetch_optional(&mut *conn)
                            .await?;
                    let Some(id) = id else { return Ok(false) };
                    sqlx::query(
                        "UPDATE managers SET password_hash = $1, updated_at = $2 WHERE id = $3",
                    )
                    .bind(password_hash)
                    .bind(Timestamp::now().millis())
                    .bind(&id)
                    .execute(&mut *conn)
                    .await?;
                    // Whoever knew the old password is signed out with it.
                    end_sessions_on(Conn::from(&mut *conn), &id).await?;
                    Ok(true)
                })
            })
        })
        .await
    }

    async fn set_manager_enabled(
        &self,
        id: &str,
        enabled: bool,
    ) -> Result<AccountChange, StoreError> {
        let id = id.to_string();
        self.transaction(move |conn| {
            Box::pin(async move {
                on_conn!(conn, |conn| {
                    if !manager_exists_on(Conn::from(&mut *conn), &id).await? {
                        return Ok(AccountChange::NotFound);
                    }
                    if !enabled && is_last_admin(Conn::from(&mut *conn), &id).await? {
                        return Ok(AccountChange::LastAdmin);
                    }
                    sqlx::query("UPDATE managers SET enabled = $1, updated_at = $2 WHERE id = $3")
                        .bind(i64::from(enabled))
                        .bind(Timestamp::now().millis())
                        .bind(&id)
                        .execute(&mut *conn)
                        .await?;
                    if !enabled {
                        end_sessions_on(Conn::from(&mut *conn), &id).await?;
                    }
                    Ok(AccountChange::Done)
                })
            })
        })
        .await
    }

    async fn set_manager_role(&self, id: &str, role: Role) -> Result<AccountChange, StoreError> {
        let id = id.to_string();
        self.transaction(move |conn| {
            Box::pin(async move {
                on_conn!(conn, |conn| {
                    if !manager_exists_on(Conn::from(&mut *conn), &id).await? {
                        return Ok(AccountChange::NotFound);
                    }
                    if role != Role::Admin && is_last_admin(Conn::from(&mut *conn), &id).await? {
                        return Ok(AccountChange::LastAdmin);
                    }
                    sqlx::query("UPDATE managers SET role = $1, updated_at = $2 WHERE id = $3")
                        .bind(role.as_str())
                        .bind(Timestamp::now().millis())
                        .bind(&id)
                        .execute(&mut *conn)
                        .await?;
                    Ok(AccountChange::Done)
                })
            })
        })
        .await
    }

    async fn disable_manager(
        &self,
        id: &str,
        hand_over: HandOver,
        actor_id: &str,
    ) -> Result<(AccountChange, u64), StoreError> {
        let (id, actor) = (id.to_string(), actor_id.to_string());
        self.transaction(move |conn| {
                Box::pin(async move { on_conn!(conn, |conn| {
                    if !manager_exists_on(Conn::from(&mut *conn), &id).await? {
                        return Ok((AccountChange::NotFound, 0));
                    }
                    if is_last_admin(Conn::from(&mut *conn), &id).await? {
                        return Ok((AccountChange::LastAdmin, 0));
                    }
                    let old_name: String = sqlx::query_scalar("SELECT name FROM managers WHERE id = $1")
                        .bind(&id)
                        .fetch_one(&mut *conn)
                        .await?;
                    let new: Option<(String, String)> = match &hand_over {
                        HandOver::Manager(to) => {
                            let name: Option<String> = sqlx::query_scalar(
                                "SELECT name FROM managers WHERE id = $1 AND enabled = 1 AND id <> $2",
                            )
                            .bind(to)
                            .bind(&id)
                            .fetch_optional(&mut *conn)
                            .await?;
                            match name {
                                Some(n) => Some((to.clone(), n)),
                                None => return Ok((AccountChange::NoSuchAssignee, 0)),
                            }
                        }
                        _ => None,
                    };
                    let now = Timestamp::now();
                    sqlx::query("UPDATE managers SET enabled = 0, updated_at = $1 WHERE id = $2")
                        .bind(now.millis())
                        .bind(&id)
                        .execute(&mut *conn)
                        .await?;
                    end_sessions_on(Conn::from(&mut *conn), &id).await?;
                    if hand_over == HandOver::Keep {
                        return Ok((AccountChange::Done, 0));
                    }
                    let tickets: Vec<String> = sqlx::query_scalar(
                        "SELECT id FROM tickets WHERE assignee_id = $1
                         AND status IN ('new', 'in-progress', 'waiting-on-customer')",
                    )
                    .bind(&id)
                    .fetch_all(&mut *conn)
                    .await?;
                    let (new_id, new_name) = new.unzip();
                    for ticket in &tickets {
                        // The revision moves, so a form opened before the handover gets a
                        // conflict instead of silently undoing it.
                        sqlx::query(
                            "UPDATE tickets SET assignee_id = $1, revision = revision + 1, updated_at = $2 WHERE id = $3",
                        )
                        .bind(new_id.as_deref())
                        .bind(now.millis())
                        .bind(ticket)
                        .execute(&mut *conn)
                        .await?;
                        super::work::audit_on(Conn::from(&mut *conn),
                            ticket,
                            now,
                            Some(&actor),
                            "assignee",
                            Some(&old_name),
                            new_name.as_deref(),
                        )
                        .await?;
                    }
                    Ok((AccountChange::Done, tickets.len() as u64))
                }) })
            })
            .await
    }

    async fn open_tickets_by_manager(&self) -> Result<Vec<(String, i64)>, StoreError> {
        on_pool!(self.pool(), |read| {
            let rows = sqlx::query(
                "SELECT assignee_id, CAST(SUM(tickets) AS BIGINT) AS n FROM ticket_counts
                 WHERE assignee_id <> '' AND status IN ('new', 'in-progress', 'waiting-on-customer')
                 GROUP BY assignee_id",
            )
            .fetch_all(read)
            .await?;
            rows.iter()
                .map(|r| Ok((r.try_get("assignee_id")?, r.try_get("n")?)))
                .collect::<Result<_, sqlx::Error>>()
                .map_err(StoreError::from)
        })
    }

    async fn password_hash(&self, id: &str) -> Result<Option<String>, StoreError> {
        Ok(on_pool!(self.pool(), |read| sqlx::query_scalar(
            "SELECT password_hash FROM managers WHERE id = $1"
        )
        .bind(id)
        .fetch_optional(read)
        .await?))
    }

    async fn change_own_password(
        &self,
        id: &str,
        password_hash: String,
        keep_token: &str,
    ) -> Result<(), StoreError> {
        let (id, keep) = (
            id.to_string(),
            crate::store::sessions::token_hash(keep_token),
        );
        self.transaction(move |conn| {
            Box::pin(async move {
                on_conn!(conn, |conn| {
                    sqlx::query(
                        "UPDATE managers SET password_hash = $1, updated_at = $2 WHERE id = $3",
                    )
                    .bind(password_hash)
                    .bind(Timestamp::now().millis())
                    .bind(&id)
                    .execute(&mut *conn)
                    .await?;
                    sqlx::query(
                        "DELETE FROM manager_sessions WHERE manager_id = $1 AND token_hash <> $2",
                    )
                    .bind(&id)
                    .bind(keep)
                    .execute(&mut *conn)
                    .await?;
                    Ok(())
                })
            })
        })
        .await
    }

    async fn domain_routes(&self) -> Result<Vec<DomainRoute>, StoreError> {
        on_pool!(self.pool(), |read| {
            let rows = sqlx::query(
                "SELECT r.domain, r.manager_id, m.name, m.enabled
             FROM domain_routes r JOIN managers m ON m.id = r.manager_id ORDER BY r.domain",
            )
            .fetch_all(read)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(DomainRoute {
                        domain: r.try_get("domain")?,
                        manager_id: r.try_get("manager_id")?,
                        manager_name: r.try_get("name")?,
                        manager_enabled: r.try_get::<i64, _>("enabled")? != 0,
                    })
                })
                .collect::<Result<_, sqlx::Error>>()
                .map_err(StoreError::from)
        })
    }

    async fn set_domain_route(&self, domain: &str, manager_id: &str) -> Result<bool, StoreError> {
        let (domain, manager_id) = (domain.to_string(), manager_id.to_string());
        self.transaction(move |conn| {
                Box::pin(async move { on_conn!(conn, |conn| {
                    if !manager_exists_on(Conn::from(&mut *conn), &manager_id).await? {
                        return Ok(false);
                    }
                    sqlx::query(
                        "INSERT INTO domain_routes (domain, manager_id, created_at) VALUES ($1, $2, $3)
                         ON CONFLICT (domain) DO UPDATE SET manager_id = excluded.manager_id, created_at = excluded.created_at",
                    )
                    .bind(&domain)
                    .bind(&manager_id)
                    .bind(Timestamp::now().millis())
                    .execute(&mut *conn)
                    .await?;
                    Ok(true)
                }) })
            })
            .await
    }

    async fn remove_domain_route(&self, domain: &str) -> Result<bool, StoreError> {
        let domain = domain.to_string();
        self.transaction(move |conn| {
            Box::pin(async move {
                on_conn!(conn, |conn| {
                    let done = sqlx::query("DELETE FROM domain_routes WHERE domain = $1")
                        .bind(&domain)
                        .execute(&mut *conn)
                        .await?;
                    Ok(done.rows_affected() > 0)
                })
            })
        })
        .await
    }
}
