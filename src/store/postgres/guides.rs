//! Guide versions: every guide file the server has served, by content hash.

use super::PgStore;
use crate::domain::time::Timestamp;
use crate::store::{GuideStore, StoreError};
use async_trait::async_trait;

#[async_trait]
impl GuideStore for PgStore {
    async fn remember_guide(&self, version: &str, source: &str) -> Result<(), StoreError> {
        // Look before writing, so a server whose database is read-only for now still starts
        // with a guide it has served before (and answers 503 to writes until the fault is gone).
        if self.guide_source(version).await?.is_some() {
            return Ok(());
        }
        let version = version.to_string();
        let content = source.to_string();
        self.write(move |conn| {
                Box::pin(async move {
                    sqlx::query(
                        "INSERT INTO guide_versions (version, content, first_served_at) VALUES ($1, $2, $3)
                         ON CONFLICT (version) DO NOTHING",
                    )
                    .bind(version)
                    .bind(content)
                    .bind(Timestamp::now().millis())
                    .execute(&mut *conn)
                    .await?;
                    Ok(())
                })
            })
            .await
    }

    async fn guide_source(&self, version: &str) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT content FROM guide_versions WHERE version = $1")
                .bind(version)
                .fetch_optional(&self.read)
                .await?,
        )
    }
}
