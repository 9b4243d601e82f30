using System.Reflection;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Hygie.Core.Errors;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;

namespace Hygie.Storage.Keys;

/// <summary>
/// A PKCS#11 module loaded once per process: <c>C_Initialize</c> may run only once per library and process, and a login
/// belongs to the whole application, not to a session. Vaults acquire the module and a token login, and release them
/// when disposed; the last release logs out (by closing the login session) and finalizes the library.
/// </summary>
internal sealed class Pkcs11Module
{
    private static readonly Lock Gate = new();
    private static readonly Dictionary<string, Pkcs11Module> Loaded = new(StringComparer.Ordinal);

    private readonly string _path;
    private readonly Dictionary<ulong, TokenLogin> _logins = [];
    private int _references;

    static Pkcs11Module()
    {
        // Pkcs11Interop 5 loads modules through dlopen from "libdl"; glibc 2.34+ ships only libdl.so.2 (dlopen is in
        // libc itself), and the unversioned name exists only with the C development files. Point it at what is there.
        if (!OperatingSystem.IsLinux()) return;
        try
        {
            NativeLibrary.SetDllImportResolver(typeof(Pkcs11InteropFactories).Assembly, ResolveLibdl);
        }
        catch (InvalidOperationException)
        {
            // A resolver is set already (by the host application): leave it.
        }
    }

    private static IntPtr ResolveLibdl(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name != "libdl") return IntPtr.Zero;
        foreach (var candidate in new[] { "libdl.so.2", "libc.so.6", "libdl.so" })
            if (NativeLibrary.TryLoad(candidate, out var handle)) return handle;
        return IntPtr.Zero;
    }

    private Pkcs11Module(string path, IPkcs11Library library)
    {
        _path = path;
        Library = library;
    }

    public IPkcs11Library Library { get; }

    /// <summary>
    /// Held while creating, destroying or searching token objects (key generation, import, destruction, the scans of a
    /// vault opening or rotating — rare operations): some modules, SoftHSM2's file store among them, fail such calls now
    /// and then when threads make them at once (CKR_GENERAL_ERROR; a search re-reads SoftHSM2's object files while a
    /// creation in another session writes one). Wrapping, unwrapping and signing stay concurrent.
    /// </summary>
    public Lock ObjectChanges { get; } = new();
    public Pkcs11InteropFactories Factories => Library.Factories;

    public static Pkcs11Module Acquire(string libraryPath)
    {
        var path = Path.IsPathRooted(libraryPath) ? Path.GetFullPath(libraryPath) : libraryPath;
        lock (Gate)
        {
            if (!Loaded.TryGetValue(path, out var module))
            {
                if (Path.IsPathRooted(path) && !File.Exists(path))
                    throw new HubStateException($"the PKCS#11 library {path} does not exist: install the HSM vendor's module or fix the library path", "vault-unavailable");
                IPkcs11Library library;
                try
                {
                    var factories = new Pkcs11InteropFactories();
                    library = factories.Pkcs11LibraryFactory.LoadPkcs11Library(factories, path, AppType.MultiThreaded);
                }
                catch (Pkcs11Exception e)
                {
                    throw new HubStateException($"the PKCS#11 library {path} failed to initialize ({e.RV}): check its configuration", "vault-unavailable", e);
                }
                catch (Exception e) when (e is UnmanagedException or DllNotFoundException or BadImageFormatException or EntryPointNotFoundException or LibraryArchitectureException)
                {
                    throw new HubStateException($"cannot load the PKCS#11 library {path}: it is not a PKCS#11 module for this platform", "vault-unavailable", e);
                }
                module = new Pkcs11Module(path, library);
                Loaded[path] = module;
            }
            module._references++;
            return module;
        }
    }

    public void Release()
    {
        lock (Gate)
        {
            if (--_references > 0) return;
            Loaded.Remove(_path);
            foreach (var login in _logins.Values) login.Close();
            _logins.Clear();
            Library.Dispose();
        }
    }

    /// <summary>
    /// Logs in to the token in <paramref name="slot"/> with <paramref name="pin"/>, or joins the login that is already
    /// open in this process, in which case the PIN must be the one that opened it.
    /// </summary>
    public TokenLogin Login(ISlot slot, string tokenLabel, string pin)
    {
        lock (Gate)
        {
            if (_logins.TryGetValue(slot.SlotId, out var existing))
            {
                if (!existing.Matches(pin)) throw WrongPin(tokenLabel, null);
                existing.References++;
                return existing;
            }
            var session = slot.OpenSession(SessionType.ReadWrite);
            try
            {
                session.Login(CKU.CKU_USER, pin);
            }
            catch (Pkcs11Exception e) when (e.RV == CKR.CKR_USER_ALREADY_LOGGED_IN)
            {
                // Logged in by another user of the library in this process, outside these vaults: trust the token's state.
            }
            catch (Pkcs11Exception e)
            {
                session.Dispose();
                throw e.RV switch
                {
                    CKR.CKR_PIN_INCORRECT or CKR.CKR_PIN_INVALID or CKR.CKR_PIN_LEN_RANGE => WrongPin(tokenLabel, e),
                    CKR.CKR_PIN_LOCKED => new HubStateException($"the user PIN of token '{tokenLabel}' is locked: unblock it with the security officer PIN", "vault-pin-locked", e),
                    CKR.CKR_USER_PIN_NOT_INITIALIZED => new HubStateException($"token '{tokenLabel}' has no user PIN yet: initialize it first", "vault-unavailable", e),
                    _ => new HubStateException($"login to token '{tokenLabel}' failed ({e.RV})", "vault-unavailable", e),
                };
            }
            var login = new TokenLogin(this, slot.SlotId, session, pin) { References = 1 };
            _logins[slot.SlotId] = login;
            return login;
        }
    }

    private static HubStateException WrongPin(string tokenLabel, Exception? inner) =>
        new($"wrong PIN for token '{tokenLabel}': check the PIN given to hygie", "vault-pin", inner);

    /// <summary>An open login to one token: a session kept open so the login lasts, and a keyed digest of its PIN.</summary>
    internal sealed class TokenLogin
    {
        private readonly Pkcs11Module _module;
        private readonly ulong _slotId;
        private readonly ISession _session;
        private readonly byte[] _pinKey = RandomNumberGenerator.GetBytes(32);
        private readonly byte[] _pinDigest;

        public TokenLogin(Pkcs11Module module, ulong slotId, ISession session, string pin)
        {
            _module = module; _slotId = slotId; _session = session;
            _pinDigest = HMACSHA256.HashData(_pinKey, Encoding.UTF8.GetBytes(pin));
        }

        public int References { get; set; }

        public bool Matches(string pin) =>
            CryptographicOperations.FixedTimeEquals(_pinDigest, HMACSHA256.HashData(_pinKey, Encoding.UTF8.GetBytes(pin)));

        public void Release()
        {
            lock (Gate)
            {
                if (--References > 0) return;
                _module._logins.Remove(_slotId);
                Close();
            }
        }

        public void Close()
        {
            try { _session.Logout(); } catch (Pkcs11Exception) { }
            try { _session.Dispose(); } catch (Pkcs11Exception) { }
        }
    }
}
