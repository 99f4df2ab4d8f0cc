//! Guide versions: every guide the server has served, by content hash, so a path recorded with
//! an earlier version is still read with that version's words.

use async_trait::async_trait;

use super::StoreError;

/// The guide versions served.
#[async_trait]
pub trait GuideStore: Send + Sync {
    /// Keeps a guide's content (`source`) under its `version`, if it is not stored yet.
    async fn remember_guide(&self, version: &str, source: &str) -> Result<(), StoreError>;
    /// The content of a stored guide version.
    async fn guide_source(&self, version: &str) -> Result<Option<String>, StoreError>;
}
