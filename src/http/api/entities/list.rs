//! `List`.

use crate::store::lists::List;
use serde::Serialize;

#[derive(Serialize, Debug, Clone)]
pub struct ListEntity {
    pub id: String,
    pub title: String,
    pub replies_policy: String,
    pub exclusive: bool,
}

pub fn list(l: &List) -> ListEntity {
    ListEntity {
        id: l.id.to_string(),
        title: l.title.clone(),
        replies_policy: l.replies_policy.clone(),
        exclusive: l.exclusive,
    }
}
