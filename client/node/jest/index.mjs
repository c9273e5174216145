import jest from './index.js'
export const { tables, tableName } = jest
