//! Record encoding: MessagePack maps with field names.
//!
//! Named fields cost a few bytes per record but let a record gain fields
//! without a rewrite: old records decode with the new field's default.

use super::{Result, StoreError};
use serde::{de::DeserializeOwned, Serialize};

pub fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    // Serialising plain structs into a Vec cannot fail.
    rmp_serde::to_vec_named(value).expect("records always serialise")
}

pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    rmp_serde::from_slice(bytes).map_err(|e| StoreError::Decode(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Serialize)]
    struct V1 {
        a: u32,
    }

    #[derive(Deserialize, Debug, PartialEq, Default)]
    #[serde(default)]
    struct V2 {
        a: u32,
        b: String,
    }

    #[test]
    fn old_records_decode_into_grown_structs() {
        let bytes = encode(&V1 { a: 7 });
        let v2: V2 = decode(&bytes).unwrap();
        assert_eq!(
            v2,
            V2 {
                a: 7,
                b: String::new()
            }
        );
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(decode::<V2>(&[0xc1, 0xff, 0x00]).is_err());
    }
}
