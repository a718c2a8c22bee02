import { Bytes, crypto, dataSource } from "@graphprotocol/graph-ts";
import { Doc } from "../generated/schema";

// A file data source's handler: `content` is the whole file, its CID the data source's param.
export function handleDoc(content: Bytes): void {
  let doc = new Doc(dataSource.stringParam());
  doc.size = content.length;
  doc.contentHash = Bytes.fromByteArray(crypto.keccak256(content));
  if (content.length < 100) {
    doc.text = content.toString();
  }
  doc.save();
}
