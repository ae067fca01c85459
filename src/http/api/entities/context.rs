//! `Context`: the statuses above and below one status in its thread.

use super::status::StatusEntity;
use serde::Serialize;

#[derive(Serialize, Debug, Clone)]
pub struct ContextEntity {
    /// Oldest first, ending with the parent.
    pub ancestors: Vec<StatusEntity>,
    /// In thread order: each reply followed by its own replies.
    pub descendants: Vec<StatusEntity>,
}
