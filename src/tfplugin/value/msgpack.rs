//! msgpack, the encoding of every value Terraform sends in plan and apply calls (cty's `msgpack`
//! package): decoding driven by the schema's type, and encoding back.

use std::collections::BTreeMap;

use rmp::Marker;

use super::{CodecError, NULL, Number, Type, Value, child, parse_number_text};

// ---------------------------------------------------------------------------------------------
// msgpack decoding
// ---------------------------------------------------------------------------------------------

/// A bounds-checked cursor over msgpack bytes; rmp supplies the marker table.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], CodecError> {
        let end = self.pos.checked_add(n).ok_or(CodecError::Eof)?;
        let out = self.buf.get(self.pos..end).ok_or(CodecError::Eof)?;
        self.pos = end;
        Ok(out)
    }

    fn byte(&mut self) -> Result<u8, CodecError> {
        Ok(self.take(1)?[0])
    }

    fn be(&mut self, n: usize) -> Result<u64, CodecError> {
        Ok(self
            .take(n)?
            .iter()
            .fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
    }

    fn marker(&mut self) -> Result<Marker, CodecError> {
        Ok(Marker::from_u8(self.byte()?))
    }

    /// Reads a string (or, leniently, binary) payload for a marker already consumed.
    fn text(&mut self, m: Marker) -> Result<Option<&'a [u8]>, CodecError> {
        let len = match m {
            Marker::FixStr(n) => usize::from(n),
            Marker::Str8 | Marker::Bin8 => self.be(1)? as usize,
            Marker::Str16 | Marker::Bin16 => self.be(2)? as usize,
            Marker::Str32 | Marker::Bin32 => self.be(4)? as usize,
            _ => return Ok(None),
        };
        self.take(len).map(Some)
    }

    fn array_len(&mut self, m: Marker) -> Result<Option<usize>, CodecError> {
        Ok(match m {
            Marker::FixArray(n) => Some(usize::from(n)),
            Marker::Array16 => Some(self.be(2)? as usize),
            Marker::Array32 => Some(self.be(4)? as usize),
            _ => None,
        })
    }

    fn map_len(&mut self, m: Marker) -> Result<Option<usize>, CodecError> {
        Ok(match m {
            Marker::FixMap(n) => Some(usize::from(n)),
            Marker::Map16 => Some(self.be(2)? as usize),
            Marker::Map32 => Some(self.be(4)? as usize),
            _ => None,
        })
    }

    /// Skips the payload of an extension whose marker was consumed; `None` if not an extension.
    fn skip_ext(&mut self, m: Marker) -> Result<Option<()>, CodecError> {
        let len = match m {
            Marker::FixExt1 => 1,
            Marker::FixExt2 => 2,
            Marker::FixExt4 => 4,
            Marker::FixExt8 => 8,
            Marker::FixExt16 => 16,
            Marker::Ext8 => self.be(1)? as usize,
            Marker::Ext16 => self.be(2)? as usize,
            Marker::Ext32 => self.be(4)? as usize,
            _ => return Ok(None),
        };
        self.take(1)?; // the extension type byte
        self.take(len)?;
        Ok(Some(()))
    }
}

fn marker_name(m: Marker) -> String {
    format!("{m:?}")
}

fn utf8(bytes: &[u8], path: &str) -> Result<String, CodecError> {
    String::from_utf8(bytes.to_vec()).map_err(|_| CodecError::Invalid {
        path: path.to_owned(),
        message: "string is not valid UTF-8".into(),
    })
}

impl Value {
    /// Decodes a msgpack `DynamicValue` against `ty`.
    ///
    /// # Errors
    /// When the bytes are malformed, do not match `ty`, or leave trailing data.
    pub fn decode_msgpack(bytes: &[u8], ty: &Type) -> Result<Value, CodecError> {
        let mut rd = Reader { buf: bytes, pos: 0 };
        let v = decode_mp(&mut rd, ty, "")?;
        if rd.pos != bytes.len() {
            return Err(CodecError::Trailing(bytes.len() - rd.pos));
        }
        Ok(v)
    }
}

fn decode_mp(rd: &mut Reader<'_>, ty: &Type, path: &str) -> Result<Value, CodecError> {
    let m = rd.marker()?;
    if matches!(m, Marker::Null) {
        return Ok(Value::Null);
    }
    if rd.skip_ext(m)?.is_some() {
        return Ok(Value::Unknown);
    }
    let mismatch = |m: Marker| CodecError::Mismatch {
        path: path.to_owned(),
        expected: ty.name(),
        found: marker_name(m),
    };
    match ty {
        Type::Bool => match m {
            Marker::True => Ok(Value::Bool(true)),
            Marker::False => Ok(Value::Bool(false)),
            _ => Err(mismatch(m)),
        },
        Type::Number => {
            let n = match m {
                Marker::FixPos(n) => Number::Int(i64::from(n)),
                Marker::FixNeg(n) => Number::Int(i64::from(n)),
                Marker::U8 => Number::Int(rd.be(1)? as i64),
                Marker::U16 => Number::Int(rd.be(2)? as i64),
                Marker::U32 => Number::Int(rd.be(4)? as i64),
                Marker::U64 => {
                    let u = rd.be(8)?;
                    i64::try_from(u).map_or_else(|_| Number::Decimal(u.to_string()), Number::Int)
                }
                Marker::I8 => Number::Int(i64::from(rd.be(1)? as u8 as i8)),
                Marker::I16 => Number::Int(i64::from(rd.be(2)? as u16 as i16)),
                Marker::I32 => Number::Int(i64::from(rd.be(4)? as u32 as i32)),
                Marker::I64 => Number::Int(rd.be(8)? as i64),
                Marker::F32 => Number::Float(f64::from(f32::from_bits(rd.be(4)? as u32))),
                Marker::F64 => Number::Float(f64::from_bits(rd.be(8)?)),
                _ => match rd.text(m)? {
                    Some(b) => parse_number_text(&utf8(b, path)?, path)?,
                    None => return Err(mismatch(m)),
                },
            };
            Ok(Value::Number(n))
        }
        Type::String => match rd.text(m)? {
            Some(b) => Ok(Value::String(utf8(b, path)?)),
            None => Err(mismatch(m)),
        },
        Type::List(e) | Type::Set(e) => {
            let n = rd.array_len(m)?.ok_or_else(|| mismatch(m))?;
            // Each element takes at least one byte: never trust a length beyond the input.
            let mut out = Vec::with_capacity(n.min(rd.buf.len()));
            for i in 0..n {
                out.push(decode_mp(rd, e, &child(path, i))?);
            }
            Ok(if matches!(ty, Type::List(_)) {
                Value::List(out)
            } else {
                Value::Set(out)
            })
        }
        Type::Tuple(elems) => {
            let n = rd.array_len(m)?.ok_or_else(|| mismatch(m))?;
            if n != elems.len() {
                return Err(CodecError::Invalid {
                    path: path.to_owned(),
                    message: format!("tuple has {n} elements, type has {}", elems.len()),
                });
            }
            let mut out = Vec::with_capacity(n);
            for (i, e) in elems.iter().enumerate() {
                out.push(decode_mp(rd, e, &child(path, i))?);
            }
            Ok(Value::Tuple(out))
        }
        Type::Map(e) => {
            let n = rd.map_len(m)?.ok_or_else(|| mismatch(m))?;
            let mut out = BTreeMap::new();
            for _ in 0..n {
                let km = rd.marker()?;
                let key = rd.text(km)?.ok_or_else(|| mismatch(km))?;
                let key = utf8(key, path)?;
                let v = decode_mp(rd, e, &child(path, &key))?;
                out.insert(key, v);
            }
            Ok(Value::Map(out))
        }
        Type::Object(attrs) => {
            let n = rd.map_len(m)?.ok_or_else(|| mismatch(m))?;
            let mut out = BTreeMap::new();
            for _ in 0..n {
                let km = rd.marker()?;
                let key = rd.text(km)?.ok_or_else(|| mismatch(km))?;
                let key = utf8(key, path)?;
                let Some(aty) = attrs.get(&key) else {
                    return Err(CodecError::UnknownAttribute {
                        path: path.to_owned(),
                        name: key,
                    });
                };
                let v = decode_mp(rd, aty, &child(path, &key))?;
                out.insert(key, v);
            }
            for name in attrs.keys() {
                out.entry(name.clone()).or_insert(Value::Null);
            }
            Ok(Value::Object(out))
        }
        Type::Dynamic => {
            if rd.array_len(m)? != Some(2) {
                return Err(mismatch(m));
            }
            let tm = rd.marker()?;
            let tj = rd.text(tm)?.ok_or_else(|| mismatch(tm))?;
            let inner = Type::from_json(tj)?;
            if inner == Type::Dynamic {
                // cty never nests dynamic-in-dynamic; refusing keeps recursion bounded.
                return Err(CodecError::Invalid {
                    path: path.to_owned(),
                    message: "dynamic value declares type dynamic".into(),
                });
            }
            decode_mp(rd, &inner, path)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// msgpack encoding
// ---------------------------------------------------------------------------------------------

fn len_u32(n: usize) -> Result<u32, CodecError> {
    u32::try_from(n).map_err(|_| CodecError::TooLarge(format!("{n} elements")))
}

fn w<E: std::fmt::Debug>(r: Result<impl Sized, E>) -> Result<(), CodecError> {
    // Writing into a Vec only fails on impossible sizes.
    r.map(|_| ())
        .map_err(|e| CodecError::TooLarge(format!("{e:?}")))
}

impl Value {
    /// Encodes as msgpack for `ty`.
    ///
    /// # Errors
    /// When the value does not fit `ty` (e.g. a string where the schema says bool).
    pub fn encode_msgpack(&self, ty: &Type) -> Result<Vec<u8>, CodecError> {
        let mut out = Vec::with_capacity(64);
        encode_mp(self, ty, &mut out, "")?;
        Ok(out)
    }
}

fn encode_mp(v: &Value, ty: &Type, out: &mut Vec<u8>, path: &str) -> Result<(), CodecError> {
    let mismatch = || CodecError::Mismatch {
        path: path.to_owned(),
        expected: ty.name(),
        found: v.kind().to_owned(),
    };
    match (v, ty) {
        (Value::Null, _) => w(rmp::encode::write_nil(out)),
        (Value::Unknown, _) => {
            // cty's plain unknown: fixext1, type 0, one zero byte.
            out.extend_from_slice(&[0xd4, 0, 0]);
            Ok(())
        }
        (_, Type::Dynamic) => {
            let inner = v.infer_type();
            w(rmp::encode::write_array_len(out, 2))?;
            w(rmp::encode::write_bin(out, &inner.to_json()))?;
            encode_mp(v, &inner, out, path)
        }
        (Value::Bool(b), Type::Bool) => w(rmp::encode::write_bool(out, *b)),
        (Value::Number(n), Type::Number) => match n {
            Number::Int(i) => w(rmp::encode::write_sint(out, *i)),
            Number::Float(f) => {
                // cty writes integral floats as integers; do the same so plans compare equal.
                if f.fract() == 0.0 && f.abs() < 2f64.powi(63) {
                    w(rmp::encode::write_sint(out, *f as i64))
                } else {
                    w(rmp::encode::write_f64(out, *f))
                }
            }
            Number::Decimal(s) => w(rmp::encode::write_str(out, s)),
        },
        (Value::String(s), Type::String) => w(rmp::encode::write_str(out, s)),
        (Value::List(items), Type::List(e)) | (Value::Set(items), Type::Set(e)) => {
            w(rmp::encode::write_array_len(out, len_u32(items.len())?))?;
            for (i, item) in items.iter().enumerate() {
                encode_mp(item, e, out, &child(path, i))?;
            }
            Ok(())
        }
        (Value::Tuple(items), Type::Tuple(elems)) => {
            if items.len() != elems.len() {
                return Err(mismatch());
            }
            w(rmp::encode::write_array_len(out, len_u32(items.len())?))?;
            for (i, (item, e)) in items.iter().zip(elems).enumerate() {
                encode_mp(item, e, out, &child(path, i))?;
            }
            Ok(())
        }
        (Value::Map(m), Type::Map(e)) => {
            w(rmp::encode::write_map_len(out, len_u32(m.len())?))?;
            for (k, item) in m {
                w(rmp::encode::write_str(out, k))?;
                encode_mp(item, e, out, &child(path, k))?;
            }
            Ok(())
        }
        (Value::Object(m), Type::Object(attrs)) => {
            if let Some(extra) = m.keys().find(|k| !attrs.contains_key(*k)) {
                return Err(CodecError::UnknownAttribute {
                    path: path.to_owned(),
                    name: extra.clone(),
                });
            }
            // Every attribute of the type is written, absent ones as null, as cty does.
            w(rmp::encode::write_map_len(out, len_u32(attrs.len())?))?;
            for (k, aty) in attrs {
                w(rmp::encode::write_str(out, k))?;
                encode_mp(m.get(k).unwrap_or(&NULL), aty, out, &child(path, k))?;
            }
            Ok(())
        }
        _ => Err(mismatch()),
    }
}
