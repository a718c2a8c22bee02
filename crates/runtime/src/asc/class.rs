//! Runtime class ids: the host asks the module which AssemblyScript class id belongs to each of
//! graph-node's type indices (`IndexForAscTypeId`, mirrored by graph-ts's `TypeId`) by calling
//! the module's `id_of_type` export, and stores the answer in each object header it writes.

/// graph-node's `IndexForAscTypeId`: the argument of the module's `id_of_type` export. Only the
/// indices this runtime writes are listed; the values are fixed by graph-node and graph-ts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum TypeIndex {
    String = 0,
    ArrayBuffer = 1,
    Uint8Array = 6,
    BigDecimal = 12,
    ArrayEthereumValue = 15,
    ArrayStoreValue = 16,
    ArrayJsonValue = 17,
    ArrayEventParam = 19,
    ArrayTypedMapEntryStringJsonValue = 20,
    ArrayTypedMapEntryStringStoreValue = 21,
    EventParam = 23,
    EthereumTransaction = 24,
    EthereumBlock = 25,
    EthereumCall = 26,
    WrappedBool = 28,
    WrappedJsonValue = 29,
    EthereumValue = 30,
    StoreValue = 31,
    JsonValue = 32,
    EthereumEvent = 33,
    TypedMapEntryStringStoreValue = 34,
    TypedMapEntryStringJsonValue = 35,
    TypedMapStringStoreValue = 36,
    TypedMapStringJsonValue = 37,
    ResultJsonValueBool = 40,
    TransactionReceipt = 1000,
    Log = 1001,
    ArrayB256 = 1002,
    ArrayLog = 1003,
    /// `Array<Entity>` (`store.loadRelated`). graph-ts does not know this index and answers 0,
    /// as it does for graph-node.
    ArrayTypedMapStringStoreValue = 1004,
    YamlValue = 5500,
    YamlTaggedValue = 5501,
    YamlTypedMapEntryValueValue = 5502,
    YamlTypedMapValueValue = 5503,
    YamlArrayValue = 5504,
    YamlArrayTypedMapEntryValueValue = 5505,
    YamlWrappedValue = 5506,
    YamlResultValueBool = 5507,
}

impl TypeIndex {
    /// The value passed to `id_of_type`.
    pub fn index(self) -> u32 {
        self as u32
    }
}
