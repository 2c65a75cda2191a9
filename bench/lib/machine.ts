import { cpus, hostname, loadavg, totalmem } from 'node:os';

export interface MachineInfo {
  hostname: string;
  cpuModel: string;
  cores: number;
  memoryBytes: number;
  node: string;
  platform: string;
  /** 1-minute load average when the run started: a hint of noisy neighbours on a shared machine. */
  loadAverageAtStart: number[];
  /** `<hostname>-<cores>c`, or the CPU model when the hostname says nothing (containers, VMs). */
  slug: string;
}

export function machineInfo(): MachineInfo {
  const cpu = cpus();
  const model = (cpu[0]?.model ?? 'unknown-cpu').trim();
  const host = hostname();
  const generic = host === '' || host === 'localhost' || host === 'vm' || /^[0-9a-f]{12}$/.test(host);
  const base = (generic ? model : host)
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
  return {
    hostname: host,
    cpuModel: model,
    cores: cpu.length,
    memoryBytes: totalmem(),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    loadAverageAtStart: loadavg().map((x) => Math.round(x * 100) / 100),
    slug: `${base}-${cpu.length}c`,
  };
}
