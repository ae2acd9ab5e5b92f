using SupportChat.LoadTests;

// Open-loop load against a SupportChat service on this machine; exits 1 when a threshold is missed.
// Example: dotnet run -c Release --project load-tests -- --scenario chat --rate 500 --visitors 1000 --admins 10 \
//            --database "Host=...;..." --server-pid 1234 --threshold visitor_to_admin.p99=20
LoadOptions options;
try
{
    options = LoadOptions.Parse(args);
}
catch (Exception ex) when (ex is ArgumentException or FormatException or UriFormatException)
{
    Console.Error.WriteLine(ex.Message);
    return 2;
}
return await LoadRun.RunAsync(options, Console.Out);
