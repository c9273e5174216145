// SPDX-License-Identifier: MIT
import jest from './index.js'
export const { tables, tableName } = jest
