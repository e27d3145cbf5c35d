#!/usr/bin/env node
import { main } from '../dist/src/cli/main.js'

await main('mirror-fetch', process.argv.slice(2))
