#!/usr/bin/env node
import { main } from '../dist/src/cli/main.js'

await main('mirror-daemon', process.argv.slice(2))
