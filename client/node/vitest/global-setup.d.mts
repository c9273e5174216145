export default function setup (project: unknown): Promise<() => Promise<void>>
