//! Online backups: a consistent copy of the database while the server keeps serving.

use std::path::Path;

use super::{Store, StoreError};

impl Store {
    /// Writes a consistent copy of the whole database to `target`, which must not exist yet.
    ///
    /// `VACUUM INTO` reads one snapshot (WAL mode lets writers carry on meanwhile) and writes a
    /// compact, self-contained file: restoring is copying it into place.
    pub async fn backup_to(&self, target: &Path) -> Result<(), StoreError> {
        let target = target.to_string_lossy().into_owned();
        sqlx::query("VACUUM INTO $1")
            .bind(target)
            .execute(&self.read)
            .await?;
        Ok(())
    }
}
