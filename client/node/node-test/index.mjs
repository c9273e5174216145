// SPDX-License-Identifier: MIT
import nodeTest from './index.js'
export const { useTables } = nodeTest
