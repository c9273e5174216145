// SPDX-License-Identifier: MIT
export default function setup (project: unknown): Promise<() => Promise<void>>
