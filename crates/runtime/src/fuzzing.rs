//! Entry points for fuzzing the AssemblyScript object decoder (`asc::read` and the `FromAsc`
//! impls) over arbitrary memory images: the `fuzz/` cargo-fuzz target and the property test
//! below use them. Compiled with the `fuzzing` feature (and in tests); not part of the API.

use std::sync::Arc;

use alloy::dyn_abi::DynSolValue;
use sprig_manifest::Schema;
use sprig_store::{EntityCache, EntityReader};
use sprig_value::{BigDecimal, BigInt, BlockPtr, Entity, EntityKey, Id, Value};
use wasmtime::{Config, Engine, Func, Memory, MemoryType, Store};

use crate::api_version::ApiVersion;
use crate::asc::ethereum::SmartContractCall;
use crate::asc::value::AscEntity;
use crate::asc::{Exports, Heap, Reader};
use crate::chain::{CallResult, EthereumCalls};
use crate::context::{BlockState, DataSourceInfo, HandlerContext};
use crate::error::Determinism;
use crate::limits::MemoryLimiter;
use crate::state::HostState;

/// Fuel for one decode: ample for any image the fuzzer makes, so that out-of-gas is rare.
const FUEL: u64 = 1 << 32;

/// Number of kinds [`decode`] understands.
pub const KINDS: u8 = 9;

/// Decodes the object at `ptr` in a guest memory that starts with `image` (the rest of its
/// `pages` 64 KiB pages zero) as the value kind `kind % KINDS`, in the AssemblyScript 0.6
/// layout (apiVersion 0.0.4) when `kind / KINDS` is odd and the 0.19 one (0.0.9) otherwise.
/// Returns the value's debug rendering, or the error message. Panics if the decoder fails in a way it must not: by
/// panicking itself, or with an error that is not deterministic (bad guest memory is always
/// the mapping's fault).
pub fn decode(image: &[u8], pages: u32, ptr: u32, kind: u8) -> Result<String, String> {
    let engine = engine();
    let api_version = if (kind / KINDS) % 2 == 1 {
        ApiVersion::V0_0_4
    } else {
        ApiVersion::V0_0_9
    };
    let mut store = Store::new(engine, state(api_version));
    store.set_fuel(FUEL).expect("fuel is enabled");
    let pages = pages.clamp(1, 16);
    let memory = Memory::new(&mut store, MemoryType::new(pages, Some(pages))).expect("memory");
    let len = image.len().min(memory.data_size(&store));
    memory.data_mut(&mut store)[..len].copy_from_slice(&image[..len]);
    let identity = |_: u32| 0u32;
    let allocate = Func::wrap(&mut store, identity)
        .typed(&store)
        .expect("typed");
    let id_of_type = Func::wrap(&mut store, identity)
        .typed(&store)
        .expect("typed");
    store.data_mut().heap.attach(Exports {
        memory,
        allocate,
        id_of_type: Some(id_of_type),
    });

    let mut cx = wasmtime::AsContextMut::as_context_mut(&mut store);
    let mut reader = Reader::new(&mut cx).expect("memory is attached");
    let result = match kind % KINDS {
        0 => reader.read::<String>(ptr).map(|v| format!("{v:?}")),
        1 => reader.read::<Vec<u8>>(ptr).map(|v| format!("{v:?}")),
        2 => reader.read::<[u8; 20]>(ptr).map(|v| format!("{v:?}")),
        3 => reader.read::<BigInt>(ptr).map(|v| format!("{v:?}")),
        4 => reader.read::<BigDecimal>(ptr).map(|v| format!("{v:?}")),
        5 => reader.read::<Value>(ptr).map(|v| format!("{v:?}")),
        6 => reader.read::<AscEntity>(ptr).map(|v| format!("{:?}", v.0)),
        7 => reader.read::<DynSolValue>(ptr).map(|v| format!("{v:?}")),
        _ => reader
            .read::<SmartContractCall>(ptr)
            .map(|v| format!("{} {}", v.contract_name, v.function())),
    };
    result.map_err(|e| {
        assert_eq!(
            e.determinism,
            Determinism::Deterministic,
            "a decoding error must be deterministic: {:#}",
            e.error
        );
        format!("{:#}", e.error)
    })
}

fn engine() -> &'static Engine {
    static ENGINE: std::sync::OnceLock<Engine> = std::sync::OnceLock::new();
    ENGINE.get_or_init(|| {
        let mut config = Config::new();
        config.consume_fuel(true);
        Engine::new(&config).expect("engine")
    })
}

struct NoEntities;

impl EntityReader for NoEntities {
    fn get(&self, _: &EntityKey) -> anyhow::Result<Option<Entity>> {
        Ok(None)
    }

    fn get_derived(&self, _: &str, _: &str, _: &Id) -> anyhow::Result<Vec<Entity>> {
        Ok(Vec::new())
    }
}

struct NoChain;

impl EthereumCalls for NoChain {
    fn call(
        &self,
        _: alloy::primitives::Address,
        _: alloy::primitives::Bytes,
        _: BlockPtr,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = anyhow::Result<CallResult>> + Send + '_>>
    {
        Box::pin(async { Ok(CallResult::Revert) })
    }

    fn get_balance(
        &self,
        _: alloy::primitives::Address,
        _: BlockPtr,
    ) -> crate::ChainFuture<'_, alloy::primitives::U256> {
        Box::pin(async { Ok(alloy::primitives::U256::ZERO) })
    }

    fn get_code(
        &self,
        _: alloy::primitives::Address,
        _: BlockPtr,
    ) -> crate::ChainFuture<'_, alloy::primitives::Bytes> {
        Box::pin(async { Ok(alloy::primitives::Bytes::new()) })
    }
}

fn state(api_version: ApiVersion) -> HostState {
    let schema =
        Arc::new(Schema::parse("type Thing @entity(immutable: true) { id: ID! }").unwrap());
    HostState {
        ctx: HandlerContext {
            handler: "fuzz".to_string(),
            block: BlockPtr {
                number: 0,
                hash: [0; 32],
            },
            block_timestamp: 0,
            data_source: DataSourceInfo {
                name: "Fuzz".to_string(),
                network: "mainnet".to_string(),
                address: None,
                context: None,
                templates: Arc::default(),
                abis: Arc::default(),
            },
            state: BlockState::new(EntityCache::new(Arc::new(NoEntities), schema.clone())),
            chain: Arc::new(NoChain),
            schema,
        },
        api_version,
        gas_limit: FUEL,
        metered: true,
        io_timeout: None,
        clock: None,
        limiter: MemoryLimiter::new(16 << 16),
        ipfs: None,
        module: None,
        map_depth: 0,
        heap: Heap::new(Arc::default(), api_version.layout()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic generator (xorshift64*), so the property test needs no extra
    /// dependency and every run checks the same cases.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }

        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }

        /// A word that is often a plausible pointer, length or kind into an image of `len`.
        fn word(&mut self, len: u32) -> u32 {
            match self.below(8) {
                0 => 0,
                1 => self.below(16) as u32,
                2 => u32::MAX - self.below(64) as u32,
                3..=5 => 20 + 4 * self.below(u64::from(len / 4)) as u32,
                _ => self.next() as u32,
            }
        }
    }

    /// Images made of AssemblyScript-like objects (headers with sizes, fields that point into
    /// the image, nested arrays) and random noise: decoding never panics, and every error is
    /// deterministic (checked in `decode`).
    #[test]
    fn decoding_arbitrary_memory_never_panics() {
        let mut rng = Rng(0x5eed_1234_abcd_ef01);
        let (mut ok, mut err) = (0, 0);
        for _ in 0..3000 {
            let len = 64 + rng.below(4096) as u32;
            let mut image = Vec::with_capacity(len as usize);
            while image.len() < len as usize {
                let word = rng.word(len);
                image.extend_from_slice(&word.to_le_bytes());
            }
            // Plant object headers with sensible sizes at some pointers.
            for _ in 0..rng.below(32) {
                let at = 4 * rng.below(u64::from(len / 4)) as usize;
                if at + 8 <= image.len() {
                    let size = rng.below(64) as u32;
                    image[at..at + 4].copy_from_slice(&size.to_le_bytes());
                }
            }
            let ptr = rng.word(len);
            // Both layouts (see `decode`).
            let kind = rng.below(u64::from(2 * KINDS)) as u8;
            match decode(&image, 1 + rng.below(2) as u32, ptr, kind) {
                Ok(_) => ok += 1,
                Err(_) => err += 1,
            }
        }
        assert!(ok > 0 && err > 0, "ok {ok}, err {err}");
    }

    #[test]
    fn decodes_a_planted_string() {
        let mut image = vec![0u8; 64];
        // rtSize at ptr - 4, then "hi" in UTF-16LE.
        image[36..40].copy_from_slice(&4u32.to_le_bytes());
        image[40..44].copy_from_slice(&[b'h', 0, b'i', 0]);
        assert_eq!(decode(&image, 1, 40, 0), Ok("\"hi\"".to_string()));
        assert!(decode(&image, 1, 70_000, 0)
            .unwrap_err()
            .contains("out of bounds"));

        // AssemblyScript 0.6: the length in UTF-16 units at ptr, then the units.
        let mut image = vec![0u8; 64];
        image[8..12].copy_from_slice(&2u32.to_le_bytes());
        image[12..16].copy_from_slice(&[b'h', 0, b'i', 0]);
        assert_eq!(decode(&image, 1, 8, KINDS), Ok("\"hi\"".to_string()));
        image[8..12].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(decode(&image, 1, 8, KINDS)
            .unwrap_err()
            .contains("object size limit exceeded"));
    }

    /// AssemblyScript 0.6 views `{buffer, byteOffset, byteLength}` over a buffer
    /// `[byteLength][padding][data]`: read within the buffer, refused past it.
    #[test]
    fn decodes_assemblyscript_06_views_within_their_buffers() {
        let words = |image: &mut Vec<u8>, at: usize, words: &[u32]| {
            for (i, w) in words.iter().enumerate() {
                image[at + 4 * i..at + 4 * i + 4].copy_from_slice(&w.to_le_bytes());
            }
        };
        let bytes_kind = KINDS + 1;
        let mut image = vec![0u8; 64];
        words(&mut image, 16, &[4, 0, 0x0403_0201]); // buffer: 4 bytes 1, 2, 3, 4
        words(&mut image, 40, &[16, 1, 2]); // view: 2 bytes from offset 1
        assert_eq!(decode(&image, 1, 40, bytes_kind), Ok("[2, 3]".to_string()));
        words(&mut image, 40, &[16, 3, 2]);
        assert_eq!(
            decode(&image, 1, 40, bytes_kind).unwrap_err(),
            "array at 40 views 2 bytes at offset 3 of a buffer of 4 bytes"
        );
        words(&mut image, 40, &[0, 0, 0]);
        assert_eq!(
            decode(&image, 1, 40, bytes_kind).unwrap_err(),
            "array at 40 has a null buffer"
        );
    }
}
