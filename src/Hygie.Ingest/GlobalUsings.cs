// Hl7.Fhir.Model has a Task resource: Task means the BCL's here.
global using Task = System.Threading.Tasks.Task;
