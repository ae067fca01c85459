//! `Marker`: where the owner stopped reading a timeline.

use crate::store::markers::Marker;
use crate::time_fmt::iso8601_ms;
use serde::Serialize;

#[derive(Serialize, Debug, Clone)]
pub struct MarkerEntity {
    pub last_read_id: String,
    pub version: u64,
    pub updated_at: String,
}

pub fn marker(m: &Marker) -> MarkerEntity {
    MarkerEntity {
        last_read_id: m.last_read_id.to_string(),
        version: m.version,
        updated_at: iso8601_ms(m.updated_at_ms),
    }
}
