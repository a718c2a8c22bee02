import { Bytes, crypto, ipfs, JSONValue, Value } from "@graphprotocol/graph-ts";
import { FilePublished, ListPublished } from "../generated/Files/Files";
import { Doc, DocRequest, File, ListItem } from "../generated/schema";
import { Doc as DocTemplate } from "../generated/templates";

// graph-node links `ipfs.getBlock`, but graph-ts does not declare it.
@external("index", "ipfs.getBlock")
declare function ipfsGetBlock(hash: string): Bytes | null;

export function handleFilePublished(event: FilePublished): void {
  let file = new File(event.transaction.hash.concatI32(event.logIndex.toI32()));
  file.cid = event.params.cid;
  file.author = event.params.author;
  file.block = event.block.number;
  let data = ipfs.cat(event.params.cid);
  file.found = data !== null;
  if (data !== null) {
    file.size = data.length;
    file.contentHash = Bytes.fromByteArray(crypto.keccak256(data));
    if (data.length < 100) {
      file.text = data.toString();
    }
  }
  let block = ipfsGetBlock(event.params.cid);
  if (block !== null) {
    file.rootBlockSize = block.length;
  }
  // Never true, even once the CID's Doc exists: file data sources' entities are out of sight.
  file.docVisible = Doc.load(event.params.cid) !== null;
  file.save();
  // One file data source per CID (a second would write the same Doc id): the file is handled
  // by `handleDoc` once IPFS has it, in a later block.
  if (DocRequest.load(event.params.cid) === null) {
    let request = new DocRequest(event.params.cid);
    request.block = event.block.number;
    request.save();
    DocTemplate.create(event.params.cid);
  }
}

// Runs `processListItem` for each JSON value of the list file, in a fresh instance of this module;
// the items it saves are written with this handler's changes. A line that is not JSON, or an
// item without its fields, fails the subgraph at this block.
export function handleListPublished(event: ListPublished): void {
  ipfs.map(event.params.cid, "processListItem", Value.fromString(event.params.cid), ["json"]);
}

export function processListItem(value: JSONValue, userData: Value): void {
  let list = userData.toString();
  let object = value.toObject();
  let item = new ListItem(list + "-" + object.mustGet("id").toString());
  item.list = list;
  item.name = object.mustGet("name").toString();
  item.amount = object.mustGet("amount").toBigInt();
  let tags: string[] = [];
  let values = object.mustGet("tags").toArray();
  for (let i = 0; i < values.length; i++) {
    tags.push(values[i].toString());
  }
  item.tags = tags;
  item.save();
}
