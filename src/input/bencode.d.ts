// bencode is parse-torrent's own decoder (installed with it); only what src/input reads of it.
declare module 'bencode' {
  const bencode: {
    decode: (data: Uint8Array) => unknown
    encode: (data: unknown) => Uint8Array
  }
  export default bencode
}
