// A real IPFS (Helia's UnixFS on a memory blockstore) served over the HTTP gateway protocol on
// loopback, for Sprig's tests. Prints `listening <port>` once ready.
//
//   GET  /ipfs/<cid>?format=raw (or Accept: application/vnd.ipld.raw)  a block (trustless gateway)
//   GET  /ipfs/<cid>                          the whole file, as a plain gateway serves it
//   POST /add?cidVersion=0|1&rawLeaves=true|false&chunkSize=N[&hidden=1]   body = file; answers
//        its CID. `hidden`: the CID is computed but nothing is served until POST /reveal/<cid>.
//   POST /reveal/<cid>                        serve a hidden file's blocks from now on
//   POST /corrupt/<cid>                       answer that block with one byte changed
import http from 'node:http'
import { unixfs } from '@helia/unixfs'
import { MemoryBlockstore } from 'blockstore-core/memory'
import { fixedSize } from 'ipfs-unixfs-importer/chunker'
import { CID } from 'multiformats/cid'

const served = new MemoryBlockstore()
const fs = unixfs({ blockstore: served })
const scratch = unixfs({ blockstore: new MemoryBlockstore() })
const hidden = new Map() // cid -> [bytes, options]
const corrupt = new Set()

async function bytesOf(value) {
  if (value instanceof Uint8Array) return value
  const chunks = []
  for await (const chunk of value) chunks.push(chunk)
  return Buffer.concat(chunks)
}

async function body(req) {
  const chunks = []
  for await (const chunk of req) chunks.push(chunk)
  return new Uint8Array(Buffer.concat(chunks))
}

function options(url) {
  const q = url.searchParams
  return {
    cidVersion: Number(q.get('cidVersion') ?? 1),
    rawLeaves: (q.get('rawLeaves') ?? 'true') === 'true',
    chunker: fixedSize({ chunkSize: Number(q.get('chunkSize') ?? 262144) }),
  }
}

const server = http.createServer(async (req, res) => {
  try {
    const url = new URL(req.url, 'http://localhost')
    const [, kind, arg] = url.pathname.split('/')
    if (req.method === 'GET' && kind === 'ipfs') {
      const cid = CID.parse(arg)
      const raw = url.searchParams.get('format') === 'raw' ||
        (req.headers.accept ?? '').includes('application/vnd.ipld.raw')
      if (!(await served.has(cid))) {
        res.writeHead(404).end('not found')
        return
      }
      let bytes
      if (raw) {
        bytes = Buffer.from(await bytesOf(served.get(cid)))
        if (corrupt.has(cid.toString())) bytes[bytes.length - 1] ^= 0xff
      } else {
        bytes = await bytesOf(fs.cat(cid))
      }
      res.writeHead(200, {
        'content-type': raw ? 'application/vnd.ipld.raw' : 'application/octet-stream',
      }).end(bytes)
    } else if (req.method === 'POST' && kind === 'add') {
      const bytes = await body(req)
      const opts = options(url)
      if (url.searchParams.get('hidden') === '1') {
        const cid = await scratch.addBytes(bytes, opts)
        hidden.set(cid.toString(), [bytes, opts])
        res.end(cid.toString())
      } else {
        res.end((await fs.addBytes(bytes, opts)).toString())
      }
    } else if (req.method === 'POST' && kind === 'reveal') {
      const [bytes, opts] = hidden.get(arg)
      res.end((await fs.addBytes(bytes, opts)).toString())
    } else if (req.method === 'POST' && kind === 'corrupt') {
      corrupt.add(CID.parse(arg).toString())
      res.end('ok')
    } else {
      res.writeHead(400).end('unknown request')
    }
  } catch (e) {
    res.writeHead(500).end(String(e?.stack ?? e))
  }
})
server.listen(0, '127.0.0.1', () => {
  console.log(`listening ${server.address().port}`)
})
