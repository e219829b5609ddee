export { incidentWorkflow } from './incident-workflow';
export { rcaWorkflow } from './rca-workflow';
