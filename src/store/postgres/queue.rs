//! The queue's pages on PostgreSQL: the search text folded first (`super::search`), then read by the
//! SQL both backends share (`crate::store::shared::queue`).

use async_trait::async_trait;

use super::PgStore;
use crate::store::{
    QueueFilter, QueuePage, QueueRow, QueueStore, Search, StoreError, shared, shared::Shared,
};

#[async_trait]
impl QueueStore for PgStore {
    async fn queue(&self, filter: &QueueFilter, limit: u32) -> Result<QueuePage, StoreError> {
        if matches!(filter.search, Some(Search::Text(_))) {
            self.fold_search_text().await;
        }
        shared::queue::queue(self.pool(), filter, limit).await
    }

    async fn customer_tickets(
        &self,
        email: &str,
        except: i64,
        limit: u32,
    ) -> Result<Vec<QueueRow>, StoreError> {
        shared::queue::customer_tickets(self.pool(), email, except, limit).await
    }
}
