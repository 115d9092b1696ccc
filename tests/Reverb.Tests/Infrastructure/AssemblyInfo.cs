// Reverb is a Linux server: its tests use /proc, signals and Unix file modes.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
