// Hl7.Fhir.Model has a FHIR resource named Task: in this project, Task is always the .NET one.
global using Task = System.Threading.Tasks.Task;
