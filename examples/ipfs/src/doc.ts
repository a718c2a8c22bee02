import { Bytes, crypto, dataSource } from "@graphprotocol/graph-ts";
import { Doc } from "../generated/schema";
import { Doc as DocTemplate } from "../generated/templates";

const LINK = "ipfs://";

// A file data source's handler: `content` is the whole file, its CID the data source's param.
export function handleDoc(content: Bytes): void {
  let doc = new Doc(dataSource.stringParam());
  // Set by the `Announcements` handler (createWithContext); `Files` creates without a context.
  let context = dataSource.context();
  if (context.isSet("announcer")) {
    doc.announcer = context.getBytes("announcer");
  }
  doc.size = content.length;
  doc.contentHash = Bytes.fromByteArray(crypto.keccak256(content));
  if (content.length < 100) {
    let text = content.toString();
    doc.text = text;
    // A file that links another (`ipfs://<CID>`) gets that one its own file data source, as
    // metadata files link their images: file handlers may create file data sources.
    if (text.startsWith(LINK)) {
      DocTemplate.create(text.slice(LINK.length));
    }
  }
  doc.save();
}
