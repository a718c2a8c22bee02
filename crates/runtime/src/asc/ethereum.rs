//! Ethereum classes: `ethereum.Value` (ABI values), `SmartContractCall`, and the trigger
//! objects (`Block`, `Transaction`, `Event`, `Call`, `TransactionReceipt`, `Log`) per apiVersion.
//!
//! `ethereum.Value` is a tagged union like the store `Value`:
//!
//! | kind | value | payload | accepted on read |
//! |---|---|---|---|
//! | 0 | address | Uint8Array(20) | exactly 20 bytes |
//! | 1 | fixed bytes | Uint8Array(size) | at most 32 bytes |
//! | 2 | bytes | Uint8Array | |
//! | 3 | int | BigInt | fits int256 |
//! | 4 | uint | BigInt | non-negative, fits uint256 |
//! | 5 | bool | 0/1 | non-zero is true |
//! | 6 | string | String | |
//! | 7 | fixed array | `Array<ethereum.Value>` | |
//! | 8 | array | `Array<ethereum.Value>` | |
//! | 9 | tuple | `Array<ethereum.Value>` | |
//! | 10 | function | Uint8Array(24) | exactly 24 bytes (graph-ts has no such kind) |
//!
//! All fields of the trigger classes are pointers; optional ones are `null` when absent.

use alloy::dyn_abi::DynSolValue;
use alloy::primitives::{Address, Function, B256, I256, U256};
use sprig_chain::{Block, Call, Log, Receipt, Transaction};
use sprig_value::BigInt;

use super::read::{FromAsc, Reader};
use super::value::Payload;
use super::write::{Fields, ObjPtr, Objects, ToAsc};
use super::TypeIndex;
use crate::api_version::ApiVersion;
use crate::error::{deterministic, HostError};

impl FromAsc for DynSolValue {
    fn from_asc(reader: &mut Reader<'_, '_>, ptr: u32) -> Result<DynSolValue, HostError> {
        let mut fields = reader.fields(ptr, 16)?;
        let kind = fields.u32();
        let payload = fields.u64();
        let pointer = payload as u32;
        Ok(match kind {
            0 => DynSolValue::Address(Address::from(reader.read::<[u8; 20]>(pointer)?)),
            1 => {
                let bytes: Vec<u8> = reader.read(pointer)?;
                if bytes.len() > 32 {
                    return Err(deterministic!(
                        "fixed bytes value has {} bytes, at most 32 are allowed",
                        bytes.len()
                    ));
                }
                let mut word = B256::ZERO;
                word[..bytes.len()].copy_from_slice(&bytes);
                DynSolValue::FixedBytes(word, bytes.len())
            }
            2 => DynSolValue::Bytes(reader.read(pointer)?),
            3 => DynSolValue::Int(to_i256(&reader.read(pointer)?)?, 256),
            4 => DynSolValue::Uint(to_u256(&reader.read(pointer)?)?, 256),
            5 => DynSolValue::Bool(payload != 0),
            6 => DynSolValue::String(reader.read(pointer)?),
            7 => DynSolValue::FixedArray(reader.array(pointer)?),
            8 => DynSolValue::Array(reader.array(pointer)?),
            9 => DynSolValue::Tuple(reader.array(pointer)?),
            10 => {
                let bytes: Vec<u8> = reader.read(pointer)?;
                let function = Function::try_from(bytes.as_slice()).map_err(|_| {
                    deterministic!("function value has {} bytes, expected 24", bytes.len())
                })?;
                DynSolValue::Function(function)
            }
            other => {
                return Err(deterministic!(
                    "value {other} is out of range for EthereumValueKind"
                ))
            }
        })
    }
}

/// A signed BigInt as `int256`.
fn to_i256(n: &BigInt) -> Result<I256, HostError> {
    let le = n.to_signed_bytes_le();
    if le.len() > 32 {
        return Err(deterministic!("{n} does not fit in an int256"));
    }
    let fill = if n.is_negative() { 0xff } else { 0 };
    let mut bytes = [fill; 32];
    bytes[..le.len()].copy_from_slice(&le);
    Ok(I256::from_le_bytes(bytes))
}

/// A non-negative BigInt as `uint256`.
fn to_u256(n: &BigInt) -> Result<U256, HostError> {
    if n.is_negative() {
        return Err(deterministic!("{n} is negative and cannot be a uint256"));
    }
    let (_, magnitude) = n.to_bytes_be();
    if magnitude.len() > 32 {
        return Err(deterministic!("{n} does not fit in a uint256"));
    }
    Ok(U256::from_be_slice(&magnitude))
}

/// An unsigned 256-bit number as a BigInt.
pub(crate) fn u256_to_big_int(n: &U256) -> BigInt {
    BigInt::from_unsigned_bytes_be(&n.to_be_bytes::<32>())
}

/// `u256_to_big_int(n).to_signed_bytes_le()` without the BigInt (triggers carry a dozen
/// U256 fields): the shortest little-endian bytes, `[0]` for zero, and a zero byte appended
/// when the top bit is set so that the number reads as positive.
fn u256_signed_bytes_le(n: &U256) -> Vec<u8> {
    let le = n.to_le_bytes::<32>();
    let len = 32 - le.iter().rev().take_while(|b| **b == 0).count();
    let mut bytes = le[..len.max(1)].to_vec();
    if bytes[bytes.len() - 1] & 0x80 != 0 {
        bytes.push(0);
    }
    bytes
}

impl ToAsc for DynSolValue {
    fn to_asc(&self, objects: &mut Objects) -> ObjPtr {
        let array = |objects: &mut Objects, items: &[DynSolValue]| {
            let items: Vec<ObjPtr> = items.iter().map(|v| v.to_asc(objects)).collect();
            Payload::Ptr(objects.array_of(TypeIndex::ArrayEthereumValue, &items))
        };
        let (kind, payload) = match self {
            DynSolValue::Address(a) => (0, Payload::Ptr(objects.uint8_array(a.as_slice()))),
            DynSolValue::FixedBytes(word, size) => {
                let size = (*size).min(32);
                (1, Payload::Ptr(objects.uint8_array(&word[..size])))
            }
            DynSolValue::Bytes(b) => (2, Payload::Ptr(objects.uint8_array(b))),
            DynSolValue::Int(i, _) => {
                let n = BigInt::from_signed_bytes_be(&i.to_be_bytes::<32>());
                (3, Payload::Ptr(n.to_asc(objects)))
            }
            DynSolValue::Uint(u, _) => (4, Payload::Ptr(u256_to_big_int(u).to_asc(objects))),
            DynSolValue::Bool(b) => (5, Payload::Bits(u64::from(*b))),
            DynSolValue::String(s) => (6, Payload::Ptr(objects.string(s))),
            DynSolValue::FixedArray(items) => (7, array(objects, items)),
            DynSolValue::Array(items) => (8, array(objects, items)),
            DynSolValue::Tuple(items) => (9, array(objects, items)),
            DynSolValue::Function(f) => (10, Payload::Ptr(objects.uint8_array(f.as_slice()))),
            // Named structs (alloy's `eip712` feature) are tuples to a mapping.
            #[allow(unreachable_patterns)]
            other => (9, array(objects, other.as_tuple().unwrap_or_default())),
        };
        objects.class(TypeIndex::EthereumValue, payload.fields(kind))
    }
}

/// graph-ts `ethereum.SmartContractCall`, read by `ethereum.call`: `{ contractName,
/// contractAddress, functionName, functionSignature, functionParams }`; before apiVersion
/// 0.0.4 without `functionSignature`.
pub(crate) struct SmartContractCall {
    pub contract_name: String,
    pub contract_address: Address,
    pub function_name: String,
    /// `name(inputs):(outputs)`; `None` before apiVersion 0.0.4, where the function is found by
    /// name alone.
    pub function_signature: Option<String>,
    pub function_params: Vec<DynSolValue>,
}

impl SmartContractCall {
    /// The function's signature, or its name where there is none, for messages.
    pub fn function(&self) -> &str {
        self.function_signature
            .as_deref()
            .unwrap_or(&self.function_name)
    }
}

impl FromAsc for SmartContractCall {
    fn from_asc(reader: &mut Reader<'_, '_>, ptr: u32) -> Result<SmartContractCall, HostError> {
        let has_signature = reader.api_version() >= ApiVersion::V0_0_4;
        let count = if has_signature { 5 } else { 4 };
        let mut fields = reader.fields(ptr, 4 * count)?;
        let pointers: Vec<u32> = (0..count).map(|_| fields.u32()).collect();
        let (signature, params) = if has_signature {
            (Some(pointers[3]), pointers[4])
        } else {
            (None, pointers[3])
        };
        Ok(SmartContractCall {
            contract_name: reader.read(pointers[0])?,
            contract_address: Address::from(reader.read::<[u8; 20]>(pointers[1])?),
            function_name: reader.read(pointers[2])?,
            function_signature: signature.map(|p| reader.read(p)).transpose()?,
            function_params: reader.array(params)?,
        })
    }
}

/// Writes trigger objects in the shape a mapping of one apiVersion expects.
pub(crate) struct TriggerWriter<'o> {
    pub objects: &'o mut Objects,
    pub api_version: ApiVersion,
}

impl TriggerWriter<'_> {
    fn bytes(&mut self, bytes: &[u8]) -> Option<ObjPtr> {
        Some(self.objects.uint8_array(bytes))
    }

    fn big_int(&mut self, n: impl Into<BigInt>) -> Option<ObjPtr> {
        Some(n.into().to_asc(self.objects))
    }

    fn u256(&mut self, n: &U256) -> Option<ObjPtr> {
        Some(self.objects.uint8_array(&u256_signed_bytes_le(n)))
    }

    /// `ethereum.Block`; `baseFeePerGas` from apiVersion 0.0.6.
    pub fn block(&mut self, block: &Block) -> ObjPtr {
        let mut fields = Fields::new()
            .ptr(self.bytes(block.hash.as_slice()))
            .ptr(self.bytes(block.parent_hash.as_slice()))
            .ptr(self.bytes(block.uncles_hash.as_slice()))
            .ptr(self.bytes(block.author.as_slice()))
            .ptr(self.bytes(block.state_root.as_slice()))
            .ptr(self.bytes(block.transactions_root.as_slice()))
            .ptr(self.bytes(block.receipts_root.as_slice()))
            .ptr(self.big_int(block.number))
            .ptr(self.u256(&block.gas_used))
            .ptr(self.u256(&block.gas_limit))
            .ptr(self.big_int(block.timestamp))
            .ptr(self.u256(&block.difficulty))
            .ptr(self.u256(&block.total_difficulty));
        let size = block.size.as_ref().and_then(|s| self.u256(s));
        fields = fields.ptr(size);
        if self.api_version >= ApiVersion::V0_0_6 {
            let base_fee = block.base_fee_per_gas.as_ref().and_then(|f| self.u256(f));
            fields = fields.ptr(base_fee);
        }
        self.objects.class(TypeIndex::EthereumBlock, fields)
    }

    /// `ethereum.Transaction` with `input`; `nonce` from apiVersion 0.0.6.
    pub fn transaction(&mut self, tx: &Transaction) -> ObjPtr {
        let to = tx.to.as_ref().and_then(|to| self.bytes(to.as_slice()));
        let mut fields = Fields::new()
            .ptr(self.bytes(tx.hash.as_slice()))
            .ptr(self.big_int(tx.index))
            .ptr(self.bytes(tx.from.as_slice()))
            .ptr(to)
            .ptr(self.u256(&tx.value))
            .ptr(self.u256(&tx.gas_limit))
            .ptr(self.u256(&tx.gas_price))
            .ptr(self.bytes(&tx.input));
        if self.api_version >= ApiVersion::V0_0_6 {
            fields = fields.ptr(self.u256(&tx.nonce));
        }
        self.objects.class(TypeIndex::EthereumTransaction, fields)
    }

    /// `Array<ethereum.EventParam>`: named values (event parameters, call inputs and outputs).
    fn params(&mut self, params: &[(String, DynSolValue)]) -> ObjPtr {
        let params: Vec<ObjPtr> = params
            .iter()
            .map(|(name, value)| {
                let name = self.objects.string(name);
                let value = value.to_asc(self.objects);
                self.objects.class(
                    TypeIndex::EventParam,
                    Fields::new().ptr(Some(name)).ptr(Some(value)),
                )
            })
            .collect();
        self.objects.array_of(TypeIndex::ArrayEventParam, &params)
    }

    /// `ethereum.Call`: `to, from, block, transaction, inputValues, outputValues` (graph-node's
    /// `AscEthereumCall_0_0_3`, the shape of every apiVersion from 0.0.3 on; the block and
    /// transaction follow the apiVersion as everywhere).
    pub fn call(
        &mut self,
        call: &Call,
        inputs: &[(String, DynSolValue)],
        outputs: &[(String, DynSolValue)],
        block: &Block,
        tx: &Transaction,
    ) -> ObjPtr {
        let block = self.block(block);
        let tx = self.transaction(tx);
        let inputs = self.params(inputs);
        let outputs = self.params(outputs);
        let fields = Fields::new()
            .ptr(self.bytes(call.to.as_slice()))
            .ptr(self.bytes(call.from.as_slice()))
            .ptr(Some(block))
            .ptr(Some(tx))
            .ptr(Some(inputs))
            .ptr(Some(outputs));
        self.objects.class(TypeIndex::EthereumCall, fields)
    }

    /// `ethereum.Event`. `transactionLogIndex` repeats `logIndex` and `logType` is `null`, as
    /// in graph-node; `receipt` (apiVersion 0.0.7 on) is `null` unless given.
    pub fn event(
        &mut self,
        log: &Log,
        params: &[(String, DynSolValue)],
        block: &Block,
        tx: &Transaction,
        receipt: Option<&Receipt>,
    ) -> ObjPtr {
        let params = self.params(params);
        let block = self.block(block);
        let tx = self.transaction(tx);
        let mut fields = Fields::new()
            .ptr(self.bytes(log.address.as_slice()))
            .ptr(self.big_int(log.log_index))
            .ptr(self.big_int(log.log_index))
            .ptr(None)
            .ptr(Some(block))
            .ptr(Some(tx))
            .ptr(Some(params));
        if self.api_version >= ApiVersion::V0_0_7 {
            let receipt = receipt.map(|r| self.receipt(r));
            fields = fields.ptr(receipt);
        }
        self.objects.class(TypeIndex::EthereumEvent, fields)
    }

    /// `ethereum.TransactionReceipt`.
    pub fn receipt(&mut self, receipt: &Receipt) -> ObjPtr {
        let logs: Vec<ObjPtr> = receipt.logs.iter().map(|l| self.log(l)).collect();
        let logs = self.objects.array_of(TypeIndex::ArrayLog, &logs);
        let contract = receipt
            .contract_address
            .as_ref()
            .and_then(|a| self.bytes(a.as_slice()));
        let status = receipt.status.and_then(|s| self.big_int(s));
        let root = receipt.root.as_ref().and_then(|r| self.bytes(r.as_slice()));
        let fields = Fields::new()
            .ptr(self.bytes(receipt.transaction_hash.as_slice()))
            .ptr(self.big_int(receipt.transaction_index))
            .ptr(self.bytes(receipt.block_hash.as_slice()))
            .ptr(self.big_int(receipt.block_number))
            .ptr(self.u256(&receipt.cumulative_gas_used))
            .ptr(self.u256(&receipt.gas_used))
            .ptr(contract)
            .ptr(Some(logs))
            .ptr(status)
            .ptr(root)
            .ptr(self.bytes(&receipt.logs_bloom));
        self.objects.class(TypeIndex::TransactionReceipt, fields)
    }

    /// `ethereum.Log`. `blockNumber` is a BigInt although graph-ts types it as Bytes (as in
    /// graph-node); `transactionLogIndex` and `logType` are `null`.
    fn log(&mut self, log: &Log) -> ObjPtr {
        let topics: Vec<ObjPtr> = log
            .topics
            .iter()
            .map(|t| self.objects.uint8_array(t.as_slice()))
            .collect();
        let topics = self.objects.array_of(TypeIndex::ArrayB256, &topics);
        let removed = self.objects.class(
            TypeIndex::WrappedBool,
            Fields::new().u8(u8::from(log.removed)),
        );
        let fields = Fields::new()
            .ptr(self.bytes(log.address.as_slice()))
            .ptr(Some(topics))
            .ptr(self.bytes(&log.data))
            .ptr(self.bytes(log.block_hash.as_slice()))
            .ptr(self.big_int(log.block_number))
            .ptr(self.bytes(log.transaction_hash.as_slice()))
            .ptr(self.big_int(log.transaction_index))
            .ptr(self.big_int(log.log_index))
            .ptr(None)
            .ptr(None)
            .ptr(Some(removed));
        self.objects.class(TypeIndex::Log, fields)
    }
}

#[cfg(test)]
mod tests {
    use alloy::primitives::Bytes;

    use super::*;
    use crate::asc::Layout;

    fn block() -> Block {
        Block {
            number: 1,
            hash: B256::ZERO,
            parent_hash: B256::ZERO,
            uncles_hash: B256::ZERO,
            author: Address::ZERO,
            state_root: B256::ZERO,
            transactions_root: B256::ZERO,
            receipts_root: B256::ZERO,
            gas_used: U256::ZERO,
            gas_limit: U256::ZERO,
            timestamp: 0,
            difficulty: U256::ZERO,
            total_difficulty: U256::ZERO,
            size: None,
            base_fee_per_gas: None,
            transactions: vec![],
        }
    }

    fn transaction() -> Transaction {
        Transaction {
            hash: B256::ZERO,
            index: 0,
            from: Address::ZERO,
            to: None,
            value: U256::ZERO,
            gas_limit: U256::ZERO,
            gas_price: U256::ZERO,
            input: Bytes::new(),
            nonce: U256::ZERO,
        }
    }

    fn log() -> Log {
        Log {
            address: Address::ZERO,
            topics: vec![],
            data: Bytes::new(),
            block_hash: B256::ZERO,
            block_number: 1,
            transaction_hash: B256::ZERO,
            transaction_index: 0,
            log_index: 0,
            removed: false,
        }
    }

    fn call() -> Call {
        Call {
            from: Address::ZERO,
            to: Address::ZERO,
            value: U256::ZERO,
            gas_used: 0,
            input: Bytes::new(),
            output: Bytes::new(),
            block_number: 1,
            block_hash: B256::ZERO,
            transaction_hash: B256::ZERO,
            transaction_index: 0,
        }
    }

    /// The number of (4-byte pointer) fields of the object `ptr` points to: its `rtSize` / 4;
    /// for AssemblyScript 0.6 objects, which have no size, the bytes up to the image's end (the
    /// object was written last) / 4.
    fn fields(objects: &Objects, ptr: ObjPtr) -> usize {
        let at = ptr.0 as usize;
        match objects.layout() {
            Layout::AssemblyScript019 => {
                u32::from_le_bytes(objects.image[at - 4..at].try_into().unwrap()) as usize / 4
            }
            Layout::AssemblyScript06 => (objects.image.len() - at) / 4,
        }
    }

    #[test]
    fn trigger_objects_follow_the_api_version() {
        for (version, block_fields, tx_fields, event_fields) in [
            (ApiVersion::V0_0_4, 14, 8, 7),
            (ApiVersion::V0_0_5, 14, 8, 7),
            (ApiVersion::V0_0_6, 15, 9, 7),
            (ApiVersion::V0_0_7, 15, 9, 8),
            (ApiVersion::V0_0_9, 15, 9, 8),
        ] {
            // One object image each, so that the object measured is the last one written.
            let count = |write: &dyn Fn(&mut TriggerWriter) -> ObjPtr| {
                let mut objects = Objects::new(version.layout());
                let mut writer = TriggerWriter {
                    objects: &mut objects,
                    api_version: version,
                };
                let ptr = write(&mut writer);
                fields(&objects, ptr)
            };
            let b = count(&|w| w.block(&block()));
            let tx = count(&|w| w.transaction(&transaction()));
            let event = count(&|w| w.event(&log(), &[], &block(), &transaction(), None));
            let call = count(&|w| w.call(&call(), &[], &[], &block(), &transaction()));
            assert_eq!(b, block_fields, "block at {version}");
            assert_eq!(call, 6, "call at {version}");
            assert_eq!(tx, tx_fields, "transaction at {version}");
            assert_eq!(event, event_fields, "event at {version}");
        }
    }

    /// The shortcut gives exactly the bytes of the BigInt path, at the edges and elsewhere.
    #[test]
    fn u256_bytes_are_the_big_ints() {
        let mut values = vec![U256::ZERO, U256::MAX, U256::from(0x7f), U256::from(0x80)];
        for bit in 0..256 {
            let one = U256::from(1) << bit;
            values.extend([one, one - U256::from(1), one | U256::from(0x80)]);
        }
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..1000 {
            // xorshift64: varied limbs and lengths.
            let mut limbs = [0u64; 4];
            for limb in &mut limbs {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                *limb = x;
            }
            values.push(U256::from_limbs(limbs) >> (x % 256) as usize);
        }
        for n in values {
            assert_eq!(
                u256_signed_bytes_le(&n),
                u256_to_big_int(&n).to_signed_bytes_le(),
                "{n}"
            );
        }
    }

    #[test]
    fn int256_conversions_cover_the_range() {
        let min = BigInt::from_signed_bytes_be(&I256::MIN.to_be_bytes::<32>());
        assert_eq!(to_i256(&min).unwrap(), I256::MIN);
        assert_eq!(to_i256(&BigInt::from(-1)).unwrap(), I256::MINUS_ONE);
        assert!(to_i256(&min.minus(&BigInt::from(1))).is_err());
        let max = u256_to_big_int(&U256::MAX);
        assert_eq!(to_u256(&max).unwrap(), U256::MAX);
        assert!(to_u256(&max.plus(&BigInt::from(1))).is_err());
        assert!(to_u256(&BigInt::from(-1)).is_err());
    }
}
