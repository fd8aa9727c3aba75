'use strict'
// The addon node-gyp built at install (npm ci runs this package's `install` script).
module.exports = require('./build/Release/sendfile.node')
