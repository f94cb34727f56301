// `npm run bench`: every benchmark in turn. Figures are measured in this run only.
await import('./exporter.js');
