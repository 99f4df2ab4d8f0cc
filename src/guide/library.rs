//! Every guide version the server knows: the one it serves, and older ones that recorded paths
//! were made with, loaded from the database on first use.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use super::Guide;
use crate::store::{Store, StoreError};

/// The guide being served and a cache of earlier versions.
#[derive(Debug)]
pub struct Guides {
    current: Arc<Guide>,
    past: RwLock<HashMap<String, Arc<Guide>>>,
}

impl Guides {
    /// Serves `current`.
    pub fn new(current: Guide) -> Self {
        Guides {
            current: Arc::new(current),
            past: RwLock::new(HashMap::new()),
        }
    }

    /// The guide being served.
    pub fn current(&self) -> &Arc<Guide> {
        &self.current
    }

    /// The guide stored under `version`, if the database has it.
    pub async fn version(
        &self,
        store: &Store,
        version: &str,
    ) -> Result<Option<Arc<Guide>>, StoreError> {
        if version == self.current.version {
            return Ok(Some(self.current.clone()));
        }
        if let Some(g) = self.past.read().expect("guide cache lock").get(version) {
            return Ok(Some(g.clone()));
        }
        let Some(source) = store.guide_source(version).await? else {
            return Ok(None);
        };
        match Guide::parse(&format!("stored guide {version}"), &source) {
            Ok(guide) => {
                let guide = Arc::new(guide);
                self.past
                    .write()
                    .expect("guide cache lock")
                    .insert(version.to_string(), guide.clone());
                Ok(Some(guide))
            }
            Err(e) => {
                tracing::error!(guide.version = version, error = %e, "stored guide version no longer parses");
                Ok(None)
            }
        }
    }
}
