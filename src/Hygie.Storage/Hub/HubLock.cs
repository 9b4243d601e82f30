using System.Collections.Concurrent;
using Hygie.Core.Errors;

namespace Hygie.Storage.Hub;

/// <summary>
/// An exclusive, advisory lock on a hub's data directory (<c>hub.lock</c>, an OS file lock released when the process
/// dies, even by <c>kill -9</c>). <c>hygie serve</c> holds it while serving; a migration's switch takes it, so the hub
/// never switches stores under a running server. Re-entrant within one process.
/// </summary>
public sealed class HubLock : IDisposable
{
    public const string FileName = "hub.lock";
    private static readonly ConcurrentDictionary<string, (FileStream File, string Purpose, int Count)> Held = new();
    private static readonly Lock Gate = new();
    private readonly string _directory;
    private bool _released;

    private HubLock(string directory, string purpose)
    {
        _directory = directory;
        Purpose = purpose;
    }

    public string Purpose { get; }

    /// <summary>Takes the lock or returns null when another process holds it.</summary>
    public static HubLock? TryAcquire(string dataDirectory, string purpose)
    {
        var directory = Path.GetFullPath(dataDirectory);
        lock (Gate)
        {
            if (Held.TryGetValue(directory, out var held))
            {
                Held[directory] = held with { Count = held.Count + 1 };
                return new HubLock(directory, held.Purpose);
            }
            var path = Path.Combine(directory, FileName);
            try
            {
                var file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
                // The lock file itself cannot be read by others while locked: who holds it goes beside it.
                File.WriteAllText(path + ".owner", $"{purpose}, pid {Environment.ProcessId}\n");
                Held[directory] = (file, purpose, 1);
                return new HubLock(directory, purpose);
            }
            catch (IOException)
            {
                return null;
            }
        }
    }

    /// <summary>Takes the lock or explains who holds it and what to do.</summary>
    public static HubLock Acquire(string dataDirectory, string purpose, string whatToDo) =>
        TryAcquire(dataDirectory, purpose)
        ?? throw new HubStateException($"the hub at {Path.GetFullPath(dataDirectory)} is in use by another process ({Holder(dataDirectory)}): {whatToDo}", "hub-locked");

    /// <summary>What the lock file says about its holder (purpose and pid), for messages.</summary>
    public static string Holder(string dataDirectory)
    {
        try
        {
            return File.ReadAllText(Path.Combine(dataDirectory, FileName + ".owner")).Trim() is { Length: > 0 } line ? line : "unknown";
        }
        catch (IOException) { return "unknown"; }
        catch (UnauthorizedAccessException) { return "unknown"; }
    }

    public void Dispose()
    {
        lock (Gate)
        {
            if (_released) return;
            _released = true;
            if (!Held.TryGetValue(_directory, out var held)) return;
            if (held.Count > 1) { Held[_directory] = held with { Count = held.Count - 1 }; return; }
            Held.TryRemove(_directory, out _);
            held.File.Dispose();
        }
    }
}
