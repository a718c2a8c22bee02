import { Bytes, crypto, dataSource } from "@graphprotocol/graph-ts";
import { ArweaveDoc } from "../generated/schema";

// A `file/arweave` data source's handler: `content` is the transaction's data, its id the data
// source's param.
export function handleArweaveDoc(content: Bytes): void {
  let doc = new ArweaveDoc(dataSource.stringParam());
  doc.announcer = dataSource.context().getBytes("announcer");
  doc.size = content.length;
  doc.contentHash = Bytes.fromByteArray(crypto.keccak256(content));
  if (content.length < 100) {
    doc.text = content.toString();
  }
  doc.save();
}
