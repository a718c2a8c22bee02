//! Test harness: the test mappings built by graph-cli (tests/wasm), synthetic chain data, an
//! in-memory store under the entity cache, and a fake `EthereumCalls`.

#![allow(dead_code)] // each test binary uses a different part

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use alloy::dyn_abi::{DynSolValue, JsonAbiExt};
use alloy::primitives::{Address, Bytes, B256, I256, U256};
use sprig_chain::{Block, Log, Receipt, Transaction};
use sprig_manifest::Schema;
use sprig_runtime::{
    ApiVersion, BlockState, CallResult, ChainFuture, DataSourceInfo, EthereumCalls, HandlerContext,
    HandlerResult, IpfsSettings, MappingModule, MappingRuntime, MappingTrigger, RuntimeConfig,
    Stage,
};
use sprig_store::{EntityCache, EntityReader};
use sprig_value::{BlockPtr, Entity, EntityKey, Id, Value};

const WASM_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/wasm");

/// The test mapping's wasm, as graph-cli built it.
pub fn test_wasm() -> Vec<u8> {
    std::fs::read(format!("{WASM_DIR}/build/Test/Test.wasm")).expect("build/Test/Test.wasm")
}

pub fn schema() -> Arc<Schema> {
    static SCHEMA: OnceLock<Arc<Schema>> = OnceLock::new();
    SCHEMA
        .get_or_init(|| {
            let sdl = std::fs::read_to_string(format!("{WASM_DIR}/schema.graphql")).unwrap();
            Arc::new(Schema::parse(&sdl).unwrap())
        })
        .clone()
}

pub fn abis() -> Arc<Vec<sprig_manifest::Abi>> {
    static ABIS: OnceLock<Arc<Vec<sprig_manifest::Abi>>> = OnceLock::new();
    ABIS.get_or_init(|| {
        let json = std::fs::read_to_string(format!("{WASM_DIR}/abis/Test.json")).unwrap();
        Arc::new(vec![sprig_manifest::Abi {
            name: "Test".to_string(),
            contract: serde_json::from_str(&json).unwrap(),
        }])
    })
    .clone()
}

/// The default configuration, with a gas limit that stops runaway tests fast.
pub fn config() -> RuntimeConfig {
    RuntimeConfig {
        gas_limit: 1_000_000_000,
        max_memory_bytes: 64 << 20,
        ..RuntimeConfig::default()
    }
}

/// The test mapping loaded in a runtime with [`config`], shared by a test binary's tests.
pub fn module() -> MappingModule {
    static MODULE: OnceLock<MappingModule> = OnceLock::new();
    MODULE.get_or_init(|| load(config())).clone()
}

/// The test mapping loaded in a fresh runtime with `config`.
pub fn load(config: RuntimeConfig) -> MappingModule {
    load_with_ipfs(config, None)
}

/// The test mapping loaded in a fresh runtime with `config` and the IPFS gateway `ipfs`.
pub fn load_with_ipfs(config: RuntimeConfig, ipfs: Option<IpfsSettings>) -> MappingModule {
    MappingRuntime::with_ipfs(config, ipfs)
        .unwrap()
        .load("Test", &test_wasm(), ApiVersion::V0_0_9)
        .unwrap()
}

/// Entities the store holds before the block.
#[derive(Default)]
pub struct MemoryStore(pub BTreeMap<EntityKey, Entity>);

impl MemoryStore {
    /// Adds an entity (its `id` field is filled in from `key`).
    pub fn with(mut self, key: EntityKey, fields: &[(&str, Value)]) -> MemoryStore {
        let mut entity: Entity = fields
            .iter()
            .map(|(name, value)| (name.to_string(), value.clone()))
            .collect();
        entity.insert("id".to_string(), key.id.to_value());
        self.0.insert(key, entity);
        self
    }
}

impl EntityReader for MemoryStore {
    fn get(&self, key: &EntityKey) -> anyhow::Result<Option<Entity>> {
        Ok(self.0.get(key).cloned())
    }

    fn get_derived(&self, entity_type: &str, field: &str, id: &Id) -> anyhow::Result<Vec<Entity>> {
        let wanted = id.to_value();
        // Reversed: the cache must sort, whatever order the store answers in.
        Ok(self
            .0
            .iter()
            .rev()
            .filter(|(key, entity)| {
                key.entity_type == entity_type && entity.get(field) == Some(&wanted)
            })
            .map(|(_, entity)| entity.clone())
            .collect())
    }
}

/// A store that cannot be read.
pub struct BrokenStore;

impl EntityReader for BrokenStore {
    fn get(&self, _: &EntityKey) -> anyhow::Result<Option<Entity>> {
        anyhow::bail!("connection refused")
    }

    fn get_derived(&self, _: &str, _: &str, _: &Id) -> anyhow::Result<Vec<Entity>> {
        anyhow::bail!("connection refused")
    }
}

/// Answers `eth_call`s from a table keyed by calldata (anything else reverts), and balances and
/// code from tables keyed by address (anything else has none).
#[derive(Default)]
pub struct FakeChain {
    pub answers: BTreeMap<Vec<u8>, Vec<u8>>,
    pub balances: BTreeMap<Address, U256>,
    pub codes: BTreeMap<Address, Bytes>,
    /// Delay before answering.
    pub delay: Option<Duration>,
    /// Fail every request as an RPC error.
    pub broken: bool,
}

impl FakeChain {
    /// Waits out the delay, then fails if broken.
    async fn answer(&self) -> anyhow::Result<()> {
        if let Some(delay) = self.delay {
            tokio::time::sleep(delay).await;
        }
        if self.broken {
            anyhow::bail!("node unavailable");
        }
        Ok(())
    }
}

impl EthereumCalls for FakeChain {
    fn call(&self, _to: Address, data: Bytes, _block: BlockPtr) -> ChainFuture<'_, CallResult> {
        Box::pin(async move {
            self.answer().await?;
            Ok(match self.answers.get(data.as_ref()) {
                Some(output) => CallResult::Success(Bytes::from(output.clone())),
                None => CallResult::Revert,
            })
        })
    }

    fn get_balance(&self, address: Address, _block: BlockPtr) -> ChainFuture<'_, U256> {
        Box::pin(async move {
            self.answer().await?;
            Ok(self.balances.get(&address).copied().unwrap_or_default())
        })
    }

    fn get_code(&self, address: Address, _block: BlockPtr) -> ChainFuture<'_, Bytes> {
        Box::pin(async move {
            self.answer().await?;
            Ok(self.codes.get(&address).cloned().unwrap_or_default())
        })
    }
}

/// A real node over JSON-RPC, as the indexer uses it.
pub struct RpcChain(pub sprig_chain::rpc::RpcClient);

impl EthereumCalls for RpcChain {
    fn call(&self, to: Address, data: Bytes, block: BlockPtr) -> ChainFuture<'_, CallResult> {
        Box::pin(async move {
            Ok(match self.0.call(to, data, block).await? {
                sprig_chain::rpc::CallOutcome::Success(output) => CallResult::Success(output),
                sprig_chain::rpc::CallOutcome::Revert(_) => CallResult::Revert,
            })
        })
    }

    fn get_balance(&self, address: Address, block: BlockPtr) -> ChainFuture<'_, U256> {
        Box::pin(self.0.balance(address, block))
    }

    fn get_code(&self, address: Address, block: BlockPtr) -> ChainFuture<'_, Bytes> {
        Box::pin(self.0.code(address, block))
    }
}

pub fn key(entity_type: &str, id: &str) -> EntityKey {
    EntityKey {
        entity_type: entity_type.to_string(),
        id: Id::String(id.to_string()),
    }
}

pub const DATA_SOURCE_ADDRESS: [u8; 20] = [
    0x01, 0x23, 0x12, 0x31, 0x23, 0x01, 0x23, 0x12, 0x31, 0x23, 0x01, 0x23, 0x12, 0x31, 0x23, 0x01,
    0x23, 0x12, 0x31, 0x23,
];

/// How a test wants its handler run.
pub struct Run {
    pub handler: &'static str,
    pub trigger: MappingTrigger,
    pub store: Arc<dyn EntityReader>,
    pub chain: Arc<dyn EthereumCalls>,
    pub context: Option<Entity>,
}

impl Run {
    /// A block trigger for `handler` at block 12, against an empty store.
    pub fn new(handler: &'static str) -> Run {
        Run {
            handler,
            trigger: MappingTrigger::Block {
                block: Arc::new(block(12)),
            },
            store: Arc::new(MemoryStore::default()),
            chain: Arc::new(FakeChain::default()),
            context: None,
        }
    }

    pub fn trigger(mut self, trigger: MappingTrigger) -> Run {
        self.trigger = trigger;
        self
    }

    pub fn store(mut self, store: impl EntityReader + 'static) -> Run {
        self.store = Arc::new(store);
        self
    }

    pub fn chain(mut self, chain: impl EthereumCalls + 'static) -> Run {
        self.chain = Arc::new(chain);
        self
    }

    pub fn context(mut self, context: Entity) -> Run {
        self.context = Some(context);
        self
    }

    pub async fn on(self, module: &MappingModule) -> HandlerResult {
        self.until(module, Stage::Handler).await
    }

    /// Runs on `module` up to `stage` only (benchmarks of each step).
    pub async fn until(self, module: &MappingModule, stage: Stage) -> HandlerResult {
        let block = self.trigger.block().clone();
        let ctx = HandlerContext {
            handler: self.handler.to_string(),
            block: block.ptr(),
            block_timestamp: block.timestamp,
            data_source: DataSourceInfo {
                name: "Test".to_string(),
                network: "mainnet".to_string(),
                address: Some(DATA_SOURCE_ADDRESS.to_vec()),
                context: self.context,
                templates: Arc::new(vec!["TestTemplate".to_string()]),
                abis: abis(),
            },
            state: BlockState::new(EntityCache::new(self.store, schema())),
            chain: self.chain,
            schema: schema(),
        };
        module.run_until(self.trigger, ctx, stage).await
    }

    /// Runs on the shared test module and expects success.
    pub async fn ok(self) -> HandlerResult {
        let handler = self.handler;
        let result = self.on(&module()).await;
        if let Err(e) = &result.outcome {
            panic!("handler {handler} failed: {e}");
        }
        result
    }

    /// Runs on the shared test module and expects failure; returns the error text and whether
    /// it is deterministic.
    pub async fn fails(self) -> (String, bool, HandlerResult) {
        let handler = self.handler;
        let mut result = self.on(&module()).await;
        let outcome = std::mem::replace(&mut result.outcome, Ok(Default::default()));
        match outcome {
            Ok(_) => panic!("handler {handler} succeeded"),
            Err(e) => (e.to_string(), e.is_deterministic(), result),
        }
    }
}

/// The entity `key` as the block sees it after the handler.
pub fn entity(result: &mut HandlerResult, entity_type: &str, id: &str) -> Entity {
    result
        .state
        .cache
        .get(&key(entity_type, id))
        .unwrap()
        .unwrap_or_else(|| panic!("no {entity_type} {id}"))
}

/// A list field of an entity.
pub fn list(entity: &Entity, field: &str) -> Vec<Value> {
    match entity.get(field) {
        Some(Value::List(items)) => items.clone(),
        other => panic!("field {field} is {other:?}"),
    }
}

pub fn strings(entity: &Entity, field: &str) -> Vec<String> {
    list(entity, field)
        .into_iter()
        .map(|v| match v {
            Value::String(s) => s,
            other => panic!("{other:?} is not a string"),
        })
        .collect()
}

pub fn b256(byte: u8) -> B256 {
    B256::repeat_byte(byte)
}

/// A transfer-like event trigger (from, to, value) with its transaction and receipt, for
/// `handleTransfer`.
pub fn transfer() -> MappingTrigger {
    MappingTrigger::Event {
        log: Arc::new(log()),
        params: vec![
            ("from".to_string(), DynSolValue::Address(address(0xf1))),
            ("to".to_string(), DynSolValue::Address(address(0x02))),
            (
                "value".to_string(),
                DynSolValue::Uint(U256::from(1000u64), 256),
            ),
        ],
        block: Arc::new(block(12)),
        transaction: Some(Arc::new(transaction())),
        receipt: Some(Arc::new(receipt())),
    }
}

pub fn address(byte: u8) -> Address {
    Address::repeat_byte(byte)
}

/// A synthetic block: distinct byte patterns per field so mix-ups show.
pub fn block(number: u64) -> Block {
    Block {
        number,
        hash: b256(0xbb),
        parent_hash: b256(0xaa),
        uncles_hash: b256(0x0c),
        author: address(0xa0),
        state_root: b256(0x51),
        transactions_root: b256(0x71),
        receipts_root: b256(0x81),
        gas_used: U256::from(21_000u64),
        gas_limit: U256::from(30_000_000u64),
        timestamp: 1_700_000_000,
        difficulty: U256::ZERO,
        total_difficulty: U256::from(58_750_003_716_598_352_816_469u128),
        size: Some(U256::from(1234u64)),
        base_fee_per_gas: Some(U256::from(7_000_000_000u64)),
        transactions: vec![transaction()],
    }
}

pub fn transaction() -> Transaction {
    Transaction {
        hash: b256(0x7e),
        index: 3,
        from: address(0xf1),
        to: Some(address(0x70)),
        value: U256::from(10u64).pow(U256::from(18u64)),
        gas_limit: U256::from(100_000u64),
        gas_price: U256::from(8_000_000_000u64),
        input: Bytes::from(vec![0xa9, 0x05, 0x9c, 0xbb]),
        nonce: U256::from(42u64),
    }
}

pub fn log() -> Log {
    let mut from = [0u8; 32];
    from[12..].copy_from_slice(address(0xf1).as_slice());
    Log {
        address: Address::from(DATA_SOURCE_ADDRESS),
        topics: vec![b256(0xdd), B256::from(from), b256(0x02)],
        data: Bytes::from(U256::from(1000u64).to_be_bytes::<32>().to_vec()),
        block_hash: b256(0xbb),
        block_number: 12,
        transaction_hash: b256(0x7e),
        transaction_index: 3,
        log_index: 5,
        removed: false,
    }
}

pub fn receipt() -> Receipt {
    Receipt {
        transaction_hash: b256(0x7e),
        transaction_index: 3,
        block_hash: b256(0xbb),
        block_number: 12,
        cumulative_gas_used: U256::from(50_000u64),
        gas_used: U256::from(21_000u64),
        contract_address: None,
        logs: vec![log()],
        status: Some(1),
        root: None,
        logs_bloom: Bytes::from(vec![0u8; 256]),
    }
}

/// The test ABI's function `name`.
pub fn function(name: &str) -> alloy::json_abi::Function {
    abis()[0].contract.function(name).unwrap()[0].clone()
}

pub fn chain_with_answers() -> FakeChain {
    let mut answers = BTreeMap::new();
    answers.insert(
        function("name").abi_encode_input(&[]).unwrap(),
        DynSolValue::Tuple(vec![DynSolValue::String("Test Token".into())]).abi_encode_params(),
    );
    answers.insert(
        function("pair")
            .abi_encode_input(&[DynSolValue::Int(I256::try_from(-5).unwrap(), 256)])
            .unwrap(),
        DynSolValue::Tuple(vec![
            DynSolValue::Tuple(vec![
                DynSolValue::Uint(U256::from(7), 256),
                DynSolValue::Int(I256::try_from(-9).unwrap(), 256),
            ]),
            DynSolValue::Bool(true),
        ])
        .abi_encode_params(),
    );
    answers.insert(
        function("balanceOf")
            .abi_encode_input(&[DynSolValue::Address(Address::with_last_byte(1))])
            .unwrap(),
        DynSolValue::Uint(U256::from(1000), 256).abi_encode(),
    );
    FakeChain {
        answers,
        ..FakeChain::default()
    }
}
