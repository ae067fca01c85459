//! Just enough DER to move RSA public keys between the fediverse's SPKI
//! PEM (`BEGIN PUBLIC KEY`) and the PKCS#1 `RSAPublicKey` ring verifies.
//!
//! Input is remote and untrusted: every length is checked, nothing panics.

/// rsaEncryption, 1.2.840.113549.1.1.1, DER-encoded.
const RSA_OID: &[u8] = &[
    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01,
];

/// Reads one TLV; returns (tag, contents, rest).
fn read_tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, mut rest) = rest.split_first()?;
    let len = if first < 0x80 {
        first as usize
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let mut len = 0usize;
        for &b in &rest[..n] {
            len = (len << 8) | b as usize;
        }
        rest = &rest[n..];
        len
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

/// SubjectPublicKeyInfo → PKCS#1 RSAPublicKey, or `None` if it is not RSA.
pub fn spki_to_pkcs1(spki: &[u8]) -> Option<&[u8]> {
    let (tag, body, _) = read_tlv(spki)?;
    if tag != 0x30 {
        return None;
    }
    let (tag, alg, rest) = read_tlv(body)?;
    if tag != 0x30 || !alg.starts_with(RSA_OID) {
        return None;
    }
    let (tag, bits, _) = read_tlv(rest)?;
    if tag != 0x03 {
        return None;
    }
    let (&unused, key) = bits.split_first()?;
    if unused != 0 {
        return None;
    }
    Some(key)
}

/// The size in bits of a PKCS#1 `RSAPublicKey`'s modulus, or `None` when
/// the structure can't be read.
pub fn rsa_modulus_bits(pkcs1: &[u8]) -> Option<usize> {
    let (tag, body, _) = read_tlv(pkcs1)?;
    if tag != 0x30 {
        return None;
    }
    let (tag, modulus, _) = read_tlv(body)?;
    if tag != 0x02 {
        return None;
    }
    // DER integers carry a leading zero byte when the top bit is set.
    let start = modulus.iter().position(|&b| b != 0)?;
    let significant = modulus.get(start..)?;
    let (&top, _) = significant.split_first()?;
    Some(significant.len() * 8 - top.leading_zeros() as usize)
}

fn push_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = (len as u32).to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (4 - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
}

/// PKCS#1 RSAPublicKey → SubjectPublicKeyInfo.
pub fn pkcs1_to_spki(pkcs1: &[u8]) -> Vec<u8> {
    let mut alg = vec![0x30];
    push_len(&mut alg, RSA_OID.len() + 2);
    alg.extend_from_slice(RSA_OID);
    alg.extend_from_slice(&[0x05, 0x00]);
    let mut bits = vec![0x03];
    push_len(&mut bits, pkcs1.len() + 1);
    bits.push(0);
    bits.extend_from_slice(pkcs1);
    let mut out = vec![0x30];
    push_len(&mut out, alg.len() + bits.len());
    out.extend_from_slice(&alg);
    out.extend_from_slice(&bits);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spki_round_trip() {
        let pkcs1 = vec![0x30, 0x03, 0x02, 0x01, 0x05];
        let spki = pkcs1_to_spki(&pkcs1);
        assert_eq!(spki_to_pkcs1(&spki), Some(&pkcs1[..]));
        let long = vec![7u8; 300];
        assert_eq!(spki_to_pkcs1(&pkcs1_to_spki(&long)), Some(&long[..]));
    }

    #[test]
    fn modulus_size_is_read_past_the_sign_byte() {
        // SEQUENCE { INTEGER 0x00 0x80 0x01, INTEGER 3 }: a 16-bit modulus.
        let pkcs1 = [0x30, 0x08, 0x02, 0x03, 0x00, 0x80, 0x01, 0x02, 0x01, 0x03];
        assert_eq!(rsa_modulus_bits(&pkcs1), Some(16));
        let small = [0x30, 0x06, 0x02, 0x01, 0x05, 0x02, 0x01, 0x03];
        assert_eq!(rsa_modulus_bits(&small), Some(3));
        for n in 0..pkcs1.len() {
            assert_eq!(rsa_modulus_bits(&pkcs1[..n]), None);
        }
        assert_eq!(rsa_modulus_bits(&[0x30, 0x03, 0x02, 0x01, 0x00]), None);
    }

    #[test]
    fn truncated_input_is_refused() {
        let spki = pkcs1_to_spki(&[1, 2, 3]);
        for n in 0..spki.len() {
            let _ = spki_to_pkcs1(&spki[..n]);
        }
        assert_eq!(spki_to_pkcs1(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]), None);
    }
}
