//! Guide versions: every guide file the server has served, by content hash.

use async_trait::async_trait;

use super::{Shared, on_conn, on_pool};
use crate::domain::time::Timestamp;
use crate::store::{GuideStore, StoreError};

#[async_trait]
impl<S: Shared> GuideStore for S {
    async fn remember_guide(&self, version: &str, source: &str) -> Result<(), StoreError> {
        // Look before writing, so a server whose database is read-only for now still starts
        // with a guide it has served before (and answers 503 to writes until the fault is gone).
        if self.guide_source(version).await?.is_some() {
            return Ok(());
        }
        let version = version.to_string();
        let content = source.to_string();
        self.transaction(move |conn| {
            Box::pin(async move {
                let sql = "INSERT INTO guide_versions (version, content, first_served_at) VALUES ($1, $2, $3)
                           ON CONFLICT (version) DO NOTHING";
                on_conn!(conn, |c| {
                    sqlx::query(sql)
                        .bind(&version)
                        .bind(&content)
                        .bind(Timestamp::now().millis())
                        .execute(c)
                        .await?;
                });
                Ok(())
            })
        })
        .await
    }

    async fn guide_source(&self, version: &str) -> Result<Option<String>, StoreError> {
        let sql = "SELECT content FROM guide_versions WHERE version = $1";
        Ok(on_pool!(self.pool(), |p| {
            sqlx::query_scalar(sql)
                .bind(version)
                .fetch_optional(p)
                .await?
        }))
    }
}
